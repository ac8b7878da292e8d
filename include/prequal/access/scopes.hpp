// The scopes of contract section 6: what an API key may do. Routes name the scope they need when they are
// registered; keys carry a list of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prequal::access {

inline constexpr std::string_view scope_applications_write = "applications:write";
inline constexpr std::string_view scope_applications_read = "applications:read";
inline constexpr std::string_view scope_applications_review = "applications:review";
inline constexpr std::string_view scope_personal_data_erase = "personal-data:erase";

/// Every scope a key may carry.
inline constexpr std::string_view known_scopes[] = {scope_applications_write, scope_applications_read,
                                                    scope_applications_review, scope_personal_data_erase};

/// What `prequal apikey create` grants when --scopes is not given.
inline constexpr std::string_view default_scopes = "applications:write,applications:read";

/// "a,b,c" → the scopes, duplicates removed, order kept. Throws std::invalid_argument naming an unknown or
/// empty entry.
std::vector<std::string> parse_scopes(std::string_view list);

/// True when the comma-separated `list` contains `scope` exactly.
bool has_scope(std::string_view list, std::string_view scope);

}  // namespace prequal::access
