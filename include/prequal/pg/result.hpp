// The result of one statement: text-format rows (money and numbers stay exact decimal text).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace prequal::pg {

class result {
public:
    result() = default;
    /// Takes ownership of a PGresult* (typed void* so libpq stays out of public headers).
    explicit result(void* pg_result);

    int rows() const;
    int columns() const;
    bool empty() const { return rows() == 0; }
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
    std::shared_ptr<void> res_;
};

}  // namespace prequal::pg
