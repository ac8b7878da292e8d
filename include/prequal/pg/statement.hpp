// A named SQL statement. The name doubles as the prepared-statement name and as a metric label, so
// modules declare their SQL once as constants in their queries.hpp.
#pragma once

#include <optional>
#include <utility>
#include <string_view>
#include <vector>

namespace prequal::pg {

struct statement {
    std::string_view name;  // empty → unnamed (not prepared); otherwise prepared once per connection
    std::string_view sql;
};

/// Transaction control, shared by every module (unnamed: nothing to prepare).
inline constexpr statement begin{"", "BEGIN"};
inline constexpr statement commit{"", "COMMIT"};
inline constexpr statement rollback{"", "ROLLBACK"};

/// A text parameter; nullopt is SQL NULL. The viewed text must outlive the awaited call.
using param = std::optional<std::string_view>;
using params = std::vector<param>;

/// Builds params from strings/views/params. Prefer it to a braced list inside a co_await expression:
/// g++ 12 miscompiles initializer_list temporaries there ("array used as initializer").
template <class... T>
params args(const T&... values) {
    params p;
    p.reserve(sizeof...(T));
    (p.emplace_back(param{values}), ...);
    return p;
}

/// One step of a pipeline: a statement and its parameters.
using step = std::pair<statement, params>;
using steps = std::vector<step>;

}  // namespace prequal::pg
