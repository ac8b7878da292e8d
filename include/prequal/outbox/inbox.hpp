// Idempotent consumers: the SQL that records a message as processed by a consumer group. A handler runs it
// first in its transaction; no row returned means a duplicate (skip, acknowledge).
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/statement.hpp>

namespace prequal::outbox {

/// $1 consumer group, $2 message id (uuid). Returns one row when the message is new.
inline constexpr pg::statement record_processed{"inbox_record_processed", PREQUAL_INBOX_RECORD("$1", "$2")};

}  // namespace prequal::outbox
