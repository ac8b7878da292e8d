// pg::result: a shared, read-only view of one PGresult in text format, and the cell parsers of typed rows.
#include <prequal/pg/error.hpp>
#include <prequal/pg/result.hpp>

#include <libpq-fe.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace prequal::pg {
namespace {

const PGresult* raw(const std::shared_ptr<void>& p) { return static_cast<const PGresult*>(p.get()); }

void check_cell(const PGresult* r, int row, int column) {
    if (r == nullptr || row < 0 || row >= PQntuples(r) || column < 0 || column >= PQnfields(r)) {
        throw std::out_of_range("pg::result: cell (" + std::to_string(row) + ", " + std::to_string(column) +
                                ") out of range");
    }
}

template <class Int>
bool parse_integer(std::string_view text, Int& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

[[noreturn]] void bad_cell(std::string_view column, std::string_view what) {
    throw error(errc::bad_row,
                "pg::result: column \"" + std::string(column) + "\" is not " + std::string(what));
}

}  // namespace

namespace detail {

void read_cell(std::string_view text, std::string_view, std::string& out) { out.assign(text); }

void read_cell(std::string_view text, std::string_view column, std::int64_t& out) {
    if (!parse_integer(text, out)) bad_cell(column, "an integer");
}

void read_cell(std::string_view text, std::string_view column, int& out) {
    if (!parse_integer(text, out)) bad_cell(column, "an integer within int range");
}

void read_cell(std::string_view text, std::string_view column, bool& out) {
    if (text == "t")
        out = true;
    else if (text == "f")
        out = false;
    else
        bad_cell(column, "a boolean");
}

void read_cell(std::string_view text, std::string_view column, core::money& out) {
    if (core::money::parse(text, out) != core::money_error::none) bad_cell(column, "an exact amount");
}

void missing_column(std::string_view column) {
    throw error(errc::bad_row, "pg::result: no column \"" + std::string(column) + "\"");
}

void null_cell(std::string_view column) {
    throw error(errc::bad_row, "pg::result: column \"" + std::string(column) + "\" is NULL");
}

void wrong_row_count(int rows, std::string_view expected) {
    throw error(errc::bad_row, "pg::result: " + std::to_string(rows) + " rows where " +
                                   std::string(expected) + " was expected");
}

}  // namespace detail

result::result(void* pg_result) {
    if (pg_result != nullptr) {
        res_ = std::shared_ptr<void>(pg_result, [](void* p) { PQclear(static_cast<PGresult*>(p)); });
    }
}

int result::rows() const { return res_ ? PQntuples(raw(res_)) : 0; }

int result::columns() const { return res_ ? PQnfields(raw(res_)) : 0; }

bool result::is_null(int row, int column) const {
    check_cell(raw(res_), row, column);
    return PQgetisnull(raw(res_), row, column) != 0;
}

std::string_view result::get(int row, int column) const {
    check_cell(raw(res_), row, column);
    const PGresult* r = raw(res_);
    return {PQgetvalue(r, row, column), static_cast<std::size_t>(PQgetlength(r, row, column))};
}

std::optional<std::string> result::get_optional(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return std::string(get(row, column));
}

std::int64_t result::get_int(int row, int column) const {
    std::int64_t value = 0;
    if (!parse_integer(get(row, column), value)) {
        throw std::invalid_argument("pg::result: column " + std::to_string(column) + " is not an integer");
    }
    return value;
}

bool result::get_bool(int row, int column) const {
    const std::string_view text = get(row, column);
    if (text == "t") return true;
    if (text == "f") return false;
    throw std::invalid_argument("pg::result: column " + std::to_string(column) + " is not a boolean");
}

std::int64_t result::affected_rows() const {
    if (!res_) return 0;
    const std::string_view text = PQcmdTuples(const_cast<PGresult*>(raw(res_)));
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

int result::column_index(std::string_view name) const {
    for (int c = 0; c < columns(); ++c) {
        if (name == PQfname(raw(res_), c)) return c;
    }
    return -1;
}

}  // namespace prequal::pg
