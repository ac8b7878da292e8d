// Strict Bearer parsing (RFC 6750 section 2.1): anything unusual is no credential at all, never an error.
#include <prequal/access/api_key.hpp>
#include <prequal/access/bearer.hpp>

#include <algorithm>

namespace prequal::access {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) {
                   return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

bool is_b64token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::header_list& headers) {
    const std::string* found = nullptr;
    for (const auto& [name, value] : headers) {
        if (!iequals(name, "Authorization")) continue;
        if (found != nullptr) return std::nullopt;  // two credentials: which one is meant is ambiguous
        found = &value;
    }
    if (found == nullptr) return std::nullopt;
    std::string_view v = *found;
    constexpr std::string_view scheme = "Bearer";
    if (v.size() <= scheme.size() || !iequals(v.substr(0, scheme.size()), scheme) || v[scheme.size()] != ' ')
        return std::nullopt;
    v.remove_prefix(scheme.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.empty() || v.size() > max_key_length) return std::nullopt;
    const auto end_of_token = std::find_if_not(v.begin(), v.end(), is_b64token_char);
    if (end_of_token == v.begin() || !std::all_of(end_of_token, v.end(), [](char c) { return c == '='; }))
        return std::nullopt;
    return v;
}

}  // namespace prequal::access
