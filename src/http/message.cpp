// Plain request/response helpers: case-insensitive header lookup and request-id validation.
#include <prequal/http/message.hpp>

#include <algorithm>
#include <cstddef>

namespace prequal::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

const std::string* find_header(const header_list& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return &value;
    }
    return nullptr;
}

std::string_view request::path_param(std::string_view name) const {
    for (const auto& [key, value] : path_params) {
        if (key == name) return value;
    }
    return {};
}

void response::set_header(std::string name, std::string value) {
    auto same = [&](const auto& h) { return iequals(h.first, name); };
    auto first = std::find_if(headers.begin(), headers.end(), same);
    if (first == headers.end()) {
        headers.emplace_back(std::move(name), std::move(value));
        return;
    }
    first->second = std::move(value);
    // A header set twice before (e.g. by hand) must not survive next to the replacement.
    headers.erase(std::remove_if(std::next(first), headers.end(), same), headers.end());
}

bool is_valid_request_id(std::string_view id) {
    // Leading/trailing spaces are rejected: proxies strip them, so such an id could not be echoed back
    // verbatim.
    if (id.empty() || id.size() > 128) return false;
    if (id.front() == ' ' || id.back() == ' ') return false;
    return std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

namespace {
int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::string> percent_decoded(std::string_view component) {
    std::string out;
    out.reserve(component.size());
    for (std::size_t i = 0; i < component.size(); ++i) {
        if (component[i] == '+') {
            out += ' ';
        } else if (component[i] != '%') {
            out += component[i];
        } else {
            if (i + 2 >= component.size()) return std::nullopt;
            const int hi = hex_digit(component[i + 1]);
            const int lo = hex_digit(component[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
    }
    return out;
}

std::vector<query_parameter> query_parameters(std::string_view target) {
    std::vector<query_parameter> out;
    const auto mark = target.find('?');
    if (mark == std::string_view::npos) return out;
    std::string_view rest = target.substr(mark + 1);
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out.push_back({percent_decoded(pair.substr(0, eq)), eq == std::string_view::npos
                                                                ? std::optional<std::string>{""}
                                                                : percent_decoded(pair.substr(eq + 1))});
    }
    return out;
}

}  // namespace prequal::http
