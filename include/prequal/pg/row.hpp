// Typed rows: a row struct lists its columns once, by name, beside the statement whose result it decodes;
// pg::result::rows_as / one_as / maybe_one_as fill it, so no caller counts columns.
//
//     struct version_row {
//         std::int64_t version;
//         std::string status;
//         static constexpr auto columns = std::tuple{pg::col("version", &version_row::version),
//                                                    pg::col("status", &version_row::status)};
//     };
//
// Member types: std::string, std::int64_t, int, bool, core::money (exact numeric text), and std::optional
// of those (SQL NULL → nullopt; NULL in any other member is an error). Columns of the result that the
// row does not list are ignored; their order does not matter.
#pragma once

#include <prequal/core/money.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace prequal::pg {

/// One column of a row struct: the result column's name and the member it fills.
template <class Row, class T>
struct column {
    std::string_view name;
    T Row::*member;
};

template <class Row, class T>
constexpr column<Row, T> col(std::string_view name, T Row::*member) {
    return {name, member};
}

namespace detail {

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

// Parse one non-NULL cell's text into `out`; throw pg::error(bad_row) naming `column` when it does not
// parse (the text itself is never put in the message: it may be personal data).
void read_cell(std::string_view text, std::string_view column, std::string& out);
void read_cell(std::string_view text, std::string_view column, std::int64_t& out);
void read_cell(std::string_view text, std::string_view column, int& out);
void read_cell(std::string_view text, std::string_view column, bool& out);
void read_cell(std::string_view text, std::string_view column, core::money& out);

[[noreturn]] void missing_column(std::string_view column);
[[noreturn]] void null_cell(std::string_view column);
[[noreturn]] void wrong_row_count(int rows, std::string_view expected);

}  // namespace detail

}  // namespace prequal::pg
