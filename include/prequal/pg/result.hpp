// The result of one statement: text-format rows (money and numbers stay exact decimal text), read into
// row structs by column name (row.hpp) or, at the lowest level, cell by cell.
#pragma once

#include <prequal/pg/row.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::pg {

class result {
public:
    result() = default;
    /// Takes ownership of a PGresult* (typed void* so libpq stays out of public headers).
    explicit result(void* pg_result);

    int rows() const;
    int columns() const;
    bool empty() const { return rows() == 0; }

    /// Every row as a Row (see row.hpp). Each listed column is looked up by name once per call; a
    /// missing column, a NULL outside std::optional or an unparsable value throws pg::error(bad_row)
    /// naming the column.
    template <class Row>
    std::vector<Row> rows_as() const;
    /// The only row; pg::error(bad_row) unless there is exactly one.
    template <class Row>
    Row one_as() const;
    /// The row if there is one, nullopt if none; pg::error(bad_row) if there are several.
    template <class Row>
    std::optional<Row> maybe_one_as() const;

    bool is_null(int row, int column) const;
    /// The value's text; empty for NULL. Valid while this result lives.
    std::string_view get(int row, int column) const;
    std::optional<std::string> get_optional(int row, int column) const;
    std::int64_t get_int(int row, int column) const;  // throws std::invalid_argument on non-integers
    bool get_bool(int row, int column) const;         // "t" / "f"
    /// Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples), 0 otherwise.
    std::int64_t affected_rows() const;
    int column_index(std::string_view name) const;  // -1 if absent

private:
    template <class Row>
    auto indexes_of() const;
    template <class Row, std::size_t N>
    Row row_at(int row, const std::array<int, N>& index) const;
    template <class Row, class T>
    void read(int row, int index, const pg::column<Row, T>& column, Row& out) const;

    std::shared_ptr<void> res_;
};

template <class Row>
auto result::indexes_of() const {
    return std::apply(
        [this](const auto&... c) {
            const auto index_of = [this](std::string_view name) {
                const int i = column_index(name);
                if (i < 0) detail::missing_column(name);
                return i;
            };
            return std::array<int, sizeof...(c)>{index_of(c.name)...};
        },
        Row::columns);
}

template <class Row, std::size_t N>
Row result::row_at(int row, const std::array<int, N>& index) const {
    Row out{};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (read(row, index[I], std::get<I>(Row::columns), out), ...);
    }
    (std::make_index_sequence<N>{});
    return out;
}

template <class Row, class T>
void result::read(int row, int index, const pg::column<Row, T>& column, Row& out) const {
    T& member = out.*column.member;
    if constexpr (detail::is_optional<T>) {
        if (is_null(row, index)) {
            member.reset();
            return;
        }
        typename T::value_type value{};
        detail::read_cell(get(row, index), column.name, value);
        member = std::move(value);
    } else {
        if (is_null(row, index)) detail::null_cell(column.name);
        detail::read_cell(get(row, index), column.name, member);
    }
}

template <class Row>
std::vector<Row> result::rows_as() const {
    const auto index = indexes_of<Row>();  // even without rows: a misspelt column fails every time
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows()));
    for (int r = 0; r < rows(); ++r) out.push_back(row_at<Row>(r, index));
    return out;
}

template <class Row>
Row result::one_as() const {
    const auto index = indexes_of<Row>();
    if (rows() != 1) detail::wrong_row_count(rows(), "exactly one");
    return row_at<Row>(0, index);
}

template <class Row>
std::optional<Row> result::maybe_one_as() const {
    if (rows() > 1) detail::wrong_row_count(rows(), "at most one");
    const auto index = indexes_of<Row>();
    if (empty()) return std::nullopt;
    return row_at<Row>(0, index);
}

}  // namespace prequal::pg
