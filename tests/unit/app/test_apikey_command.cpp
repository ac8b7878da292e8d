// `prequal apikey` usage errors: answered with exit code 2 and the usage, before any database is touched
// (the configured URL points nowhere).
#include "apikey_command.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace prequal;

namespace {

struct outcome {
    int code;
    std::string out;
    std::string err;
};

outcome run(std::vector<std::string> args, app::apikey_options options = {}) {
    app::command_line cl;
    cl.command = "apikey";
    cl.args = std::move(args);
    cl.apikey = std::move(options);
    cl.config.database_url = "host=/nonexistent dbname=none connect_timeout=1";
    std::ostringstream out, err;
    const int code = app::run_apikey_command(cl, core::logger{"test", core::log_level::error}, out, err);
    return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("unit: apikey: usage errors exit 2 without touching the database", "[unit]") {
    for (const auto& words : std::vector<std::vector<std::string>>{{},
                                                                   {"bogus"},
                                                                   {"list", "extra"},
                                                                   {"revoke"},
                                                                   {"revoke", "xyz"},
                                                                   {"revoke", "0123456789ABCDEF"}}) {
        const auto o = run(words);
        INFO(o.err);
        CHECK(o.code == 2);
        CHECK(o.err.find("usage: prequal apikey") != std::string::npos);
        CHECK(o.out.empty());
    }
    const auto no_name = run({"create"});
    CHECK(no_name.code == 2);
    CHECK(no_name.err.find("--name") != std::string::npos);
    app::apikey_options bad_scope;
    bad_scope.name = "acme";
    bad_scope.scopes = "applications:write,admin";
    const auto scope = run({"create"}, bad_scope);
    CHECK(scope.code == 2);
    CHECK(scope.err.find("unknown scope 'admin'") != std::string::npos);
    app::apikey_options named;
    named.name = "acme";
    CHECK(run({"list"}, named).code == 2);  // create's options make no sense elsewhere
}

TEST_CASE("unit: apikey: a database that cannot be reached is a failure (exit 1)", "[unit]") {
    app::apikey_options named;
    named.name = "acme";
    const auto o = run({"create"}, named);
    CHECK(o.code == 1);
    CHECK(o.err.find("prequal: apikey failed") != std::string::npos);
    CHECK(o.out.empty());
}
