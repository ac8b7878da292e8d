// The one translation unit that compiles Boost.Asio's OpenSSL layer (BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/ssl/impl/src.hpp>
