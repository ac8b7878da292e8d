// Private: the OpenSSL context behind a tls_credentials. Only the TLS sources include Asio's SSL headers.
#pragma once

#include <boost/asio/ssl/context.hpp>

namespace prequal::http::detail {

struct tls_context {
    boost::asio::ssl::context ssl{boost::asio::ssl::context::tls_server};
};

}  // namespace prequal::http::detail
