// A named SQL statement. The name doubles as the prepared-statement name and as a metric label, so
// modules declare their SQL once as constants in their queries.hpp.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace prequal::pg {

struct statement {
    std::string_view name;  // empty → unnamed (not prepared); otherwise prepared once per connection
    std::string_view sql;
};

/// A text parameter; nullopt is SQL NULL. The viewed text must outlive the awaited call.
using param = std::optional<std::string_view>;
using params = std::vector<param>;

}  // namespace prequal::pg
