// Private: which addresses a webhook may not reach, with the words that say why (for refusal sentences).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string_view>

namespace prequal::webhook::detail {

/// Empty for a public unicast address; else what the address is ("a loopback address", "a private
/// address", ...), ready to follow "resolves to 10.0.0.5, ".
std::string_view forbidden_kind(const boost::asio::ip::address& address);

}  // namespace prequal::webhook::detail
