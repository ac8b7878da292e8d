// Scope lists as `apikey create --scopes` takes them and the database stores them.
#include <prequal/access/scopes.hpp>

#include <algorithm>
#include <stdexcept>

namespace prequal::access {

std::vector<std::string> parse_scopes(std::string_view list) {
    std::vector<std::string> out;
    for (;;) {
        const auto comma = list.find(',');
        const std::string_view one = list.substr(0, comma);
        if (one.empty())
            throw std::invalid_argument("--scopes: empty entry (expected a comma-separated list)");
        if (std::find(std::begin(known_scopes), std::end(known_scopes), one) == std::end(known_scopes)) {
            std::string known;
            for (auto s : known_scopes) known += (known.empty() ? "" : ", ") + std::string{s};
            throw std::invalid_argument("--scopes: unknown scope '" + std::string{one.substr(0, 64)} +
                                        "' (known: " + known + ")");
        }
        if (std::find(out.begin(), out.end(), one) == out.end()) out.emplace_back(one);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

bool has_scope(std::string_view list, std::string_view scope) {
    for (;;) {
        const auto comma = list.find(',');
        if (list.substr(0, comma) == scope) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace prequal::access
