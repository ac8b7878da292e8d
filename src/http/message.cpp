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

}  // namespace prequal::http
