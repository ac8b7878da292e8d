// Helpers of the personal-data tests: the whole database as pg_dump prints it, and an application's data
// key as the database holds it.
#pragma once

#include "service_fixture.hpp"

#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace prequal::test {

/// Everything the database holds, as pg_dump prints it (schema and data).
inline std::string dump_database(const std::string& conninfo) {
    const std::string command = "/usr/lib/postgresql/15/bin/pg_dump --no-owner -d '" + conninfo + "' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(command.c_str(), "r"), ::pclose};
    REQUIRE(pipe);
    std::string out;
    std::array<char, 65536> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
    return out;
}

/// The application's data key, unwrapped with `master`; nullopt when it is gone or does not open.
inline std::optional<crypto::data_key> unwrap_data_key(const std::string& conninfo,
                                                       const crypto::pan_cipher& master,
                                                       const std::string& id) {
    const std::string where = " FROM data_keys WHERE application_id = '" + id + "'";
    const std::string master_key_id = sql_value(conninfo, "SELECT master_key_id" + where);
    if (master_key_id.empty()) return std::nullopt;
    return crypto::data_key::unwrap(
        master, {master_key_id, sql_value(conninfo, "SELECT wrapped_key" + where)}, crypto::data_key_aad(id));
}

}  // namespace prequal::test
