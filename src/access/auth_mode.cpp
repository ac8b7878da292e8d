// The loopback rule of contract section 6 (Redis's "protected mode" is the model).
#include <prequal/access/auth_mode.hpp>

#include <boost/asio/ip/address.hpp>

#include <string>

namespace prequal::access {

std::optional<auth_mode> parse_auth_mode(std::string_view text) {
    if (text == "api-key") return auth_mode::api_key;
    if (text == "none") return auth_mode::none;
    return std::nullopt;
}

std::string_view to_string(auth_mode m) { return m == auth_mode::api_key ? "api-key" : "none"; }

bool is_loopback_host(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string{host}, ec);
    if (ec) return false;
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
    return address.is_loopback();
}

auth_mode resolve_auth_mode(std::optional<auth_mode> configured, std::string_view listen_host) {
    if (configured) return *configured;
    return is_loopback_host(listen_host) ? auth_mode::none : auth_mode::api_key;
}

}  // namespace prequal::access
