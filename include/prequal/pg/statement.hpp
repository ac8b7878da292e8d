// A named SQL statement and its parameters. The name doubles as the prepared-statement name and as a
// metric label, so modules declare their SQL once as constants in their queries.hpp, each beside the row
// struct its result decodes into (see row.hpp).
#pragma once

#include <prequal/core/money.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

/// A text parameter that owns its text; a default-constructed or nullopt param is SQL NULL. Owning
/// rather than viewing: the caller's strings may die before the awaited call sends the parameters, and a
/// copy of a small string is cheap beside a round trip. Numbers and amounts become their exact text.
class param {
public:
    param() = default;
    param(std::nullopt_t) {}
    param(std::string text) : text_{std::move(text)} {}
    param(std::string_view text) : text_{std::in_place, text} {}
    param(const char* text) : text_{text != nullptr ? std::optional<std::string>{text} : std::nullopt} {}
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) param(T number)
        : text_{std::to_string(number)} {}
    param(core::money amount) : text_{amount.to_string()} {}
    /// nullopt → NULL, otherwise the value as above.
    template <class T>
    param(const std::optional<T>& value) : param{value ? param{*value} : param{}} {}

    bool is_null() const { return !text_; }
    /// The text, NUL-terminated (as libpq wants it), or nullptr for NULL.
    const char* c_str() const { return text_ ? text_->c_str() : nullptr; }
    const std::optional<std::string>& text() const { return text_; }

private:
    std::optional<std::string> text_;
};

using params = std::vector<param>;

/// Builds params from anything a param takes (each value copied). Prefer it to a braced list inside a
/// co_await expression: g++ 12 miscompiles initializer_list temporaries there ("array used as initializer").
template <class... T>
params args(T&&... values) {
    params p;
    p.reserve(sizeof...(T));
    (p.emplace_back(std::forward<T>(values)), ...);
    return p;
}

/// One step of a pipeline: a statement and its parameters.
using step = std::pair<statement, params>;
using steps = std::vector<step>;

}  // namespace prequal::pg
