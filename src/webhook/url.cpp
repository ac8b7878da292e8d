// parse_url: the strict subset of RFC 3986 a webhook destination may use. Anything ambiguous is refused with
// a sentence rather than guessed at: the same text must mean the same host to us, to the operator reading it
// and to the receiver's certificate.
#include <prequal/webhook/destination.hpp>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>

namespace prequal::webhook {
namespace {

constexpr std::size_t max_url_length = 2048;
constexpr std::size_t max_host_length = 253;
constexpr std::size_t max_label_length = 63;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A DNS name of letters, digits and hyphens; empty on success, else what is wrong.
std::string check_host_name(std::string_view host) {
    if (host.size() > max_host_length) return "is longer than 253 characters";
    std::string_view rest = host;
    std::string_view last_label;
    while (true) {
        const auto dot = rest.find('.');
        const auto label = rest.substr(0, dot);
        if (label.empty()) return "has an empty label";
        if (label.size() > max_label_length) return "has a label longer than 63 characters";
        if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
            return "may contain only letters, digits, hyphens and dots (use the xn-- form of an "
                   "internationalised name)";
        }
        if (label.front() == '-' || label.back() == '-')
            return "has a label starting or ending with a hyphen";
        last_label = label;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    // No top-level domain is numeric: "127.1", "2130706433" or "0x7f.1" would be read as IPv4 shorthands by
    // the resolver, which the operator may not expect; only the dotted-quad form is an address here.
    if (std::all_of(last_label.begin(), last_label.end(), is_digit) ||
        (last_label.size() > 2 && last_label[0] == '0' && (last_label[1] == 'x' || last_label[1] == 'X'))) {
        return "is not a valid IPv4 address (use four decimal numbers, like 192.0.2.10)";
    }
    return {};
}

}  // namespace

std::variant<url, std::string> parse_url(std::string_view text, const destination_rules& rules) {
    if (text.empty()) return std::string("webhook URL is empty");
    if (text.size() > max_url_length) return std::string("webhook URL is longer than 2048 characters");
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) {
            return std::string(
                "webhook URL must not contain spaces, control or non-ASCII characters (percent-encode them; "
                "use the xn-- form of an internationalised host name)");
        }
    }
    if (text.find('#') != std::string_view::npos) {
        return std::string("webhook URL must not have a fragment (#...): it is never sent to the receiver");
    }

    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
        return std::string("webhook URL must be absolute, like https://hooks.example.com/prequal");
    }
    url out;
    out.text = std::string(text);
    out.scheme = lower(text.substr(0, scheme_end));
    if (out.scheme != "https" && out.scheme != "http") {
        return "webhook URL must use https (got " + out.scheme + ")";
    }
    if (out.scheme == "http" && !rules.allow_private) {
        return std::string("webhook URL must use https (got http); --webhook-allow-private permits http");
    }
    out.port = out.scheme == "https" ? 443 : 80;

    std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?");
    const auto authority = rest.substr(0, authority_end);
    const auto target =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) {
        return std::string(
            "webhook URL must not contain a user name or password (user@host): they would be sent in "
            "clear to every log; authenticate the receiver with the signature instead");
    }

    std::string_view host;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::string("webhook URL has an unclosed [ in its host");
        host = authority.substr(1, close - 1);
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::string("webhook URL has characters after its [IPv6] host");
            has_port = true;
            port_text = after.substr(1);
        }
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || host.find('%') != std::string_view::npos) {
            return "webhook URL host [" + std::string(host) + "] is not an IPv6 address";
        }
        out.host = address.to_string();
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = authority.substr(colon + 1);
        }
        if (host.empty())
            return std::string("webhook URL has no host, like https://hooks.example.com/prequal");
        boost::system::error_code ec;
        const auto v4 = boost::asio::ip::make_address_v4(std::string(host), ec);
        if (!ec) {
            out.host = v4.to_string();
        } else {
            // A trailing dot (an absolute DNS name) names the same host; drop it so the certificate matches.
            if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
            if (const auto problem = check_host_name(host); !problem.empty()) {
                return "webhook URL host " + std::string(host) + " " + problem;
            }
            out.host = lower(host);
        }
    }
    if (out.host.empty())
        return std::string("webhook URL has no host, like https://hooks.example.com/prequal");
    if (has_port) {
        unsigned value = 0;
        const auto* end = port_text.data() + port_text.size();
        const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
        if (port_text.empty() || port_text.size() > 5 || ec != std::errc{} || ptr != end || value == 0 ||
            value > 65535 || !std::all_of(port_text.begin(), port_text.end(), is_digit)) {
            return "webhook URL port must be a number from 1 to 65535 (got \"" + std::string(port_text) +
                   "\")";
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    out.target =
        target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
    return out;
}

}  // namespace prequal::webhook
