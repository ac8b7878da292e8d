// The webhook options of `prequal serve` and the `prequal webhook` command line (contract sections 4 and 7):
// defaults, validation with errors that name the option, and the environment for the secret.
#include "config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

using prequal::app::command_line;
using prequal::app::parse_command_line;

namespace {

command_line parse(std::vector<std::string> args) {
    args.insert(args.begin(), "prequal");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("unit: config: notify runs by default, webhooks default to 24 h and public https receivers only",
          "[unit]") {
    ::unsetenv("PREQUAL_WEBHOOK_SECRET");
    const auto c = parse({"serve"}).config;
    CHECK(c.run_notify);
    CHECK(c.notify_group == "notify");
    CHECK(c.webhook_max_age == std::chrono::hours{24});
    CHECK_FALSE(c.webhook_allow_private);
    CHECK(c.webhook_url.empty());
    CHECK_FALSE(parse({"serve", "--modules=api,credit,decision"}).config.run_notify);
    CHECK(parse({"serve", "--modules=notify"}).config.run_notify);
    CHECK(parse({"serve", "--webhook-allow-private"}).config.webhook_allow_private);
    CHECK(parse({"serve", "--webhook-max-age-hours=0.5"}).config.webhook_max_age == std::chrono::minutes{30});
    CHECK(parse({"--help"}).help_text.find("--webhook-max-age-hours") != std::string::npos);
}

TEST_CASE("unit: config: bad webhook options are refused with a message naming the option", "[unit]") {
    ::unsetenv("PREQUAL_WEBHOOK_SECRET");
    CHECK_THAT(error_of({"serve", "--webhook-max-age-hours=0"}), Catch::Contains("--webhook-max-age-hours"));
    CHECK_THAT(error_of({"serve", "--webhook-max-age-hours=1000"}),
               Catch::Contains("--webhook-max-age-hours"));
    CHECK_THAT(error_of({"serve", "--webhook-url=https://example.com/h"}),
               Catch::Contains("--webhook-secret"));
    CHECK_THAT(error_of({"serve", "--webhook-secret=s3cret-value"}), Catch::Contains("--webhook-url"));
    CHECK_THAT(error_of({"serve", "--webhook-url=http://example.com/h", "--webhook-secret=x"}),
               Catch::Contains("https"));
    // The anonymous client's webhook belongs to --auth=none.
    CHECK_THAT(
        error_of({"serve", "--auth=api-key", "--webhook-url=https://example.com/h", "--webhook-secret=x"}),
        Catch::Contains("--auth=none"));
    CHECK_THAT(error_of({"webhook", "set", "--client=bad name"}), Catch::Contains("--client"));
}

TEST_CASE("unit: config: the webhook secret may come from PREQUAL_WEBHOOK_SECRET", "[unit]") {
    ::setenv("PREQUAL_WEBHOOK_SECRET", "from-the-environment", 1);
    const auto c = parse({"serve", "--webhook-url=https://example.com/h"}).config;
    ::unsetenv("PREQUAL_WEBHOOK_SECRET");
    CHECK(c.webhook_secret == "from-the-environment");
    CHECK(c.webhook_url == "https://example.com/h");
}

TEST_CASE("unit: config: prequal webhook takes --client, --url, --allow-private", "[unit]") {
    const auto cl = parse({"webhook", "set", "--client=acme", "--url=https://example.com/h",
                           "--allow-private", "--database-url=postgresql:///x"});
    CHECK(cl.command == "webhook");
    CHECK(cl.args == std::vector<std::string>{"set"});
    CHECK(cl.webhook.client == "acme");
    CHECK(cl.webhook.url == "https://example.com/h");
    CHECK(cl.webhook.allow_private);
    const auto k = parse({"apikey", "create", "--name=acme", "--webhook-url=https://example.com/h"});
    CHECK(k.webhook.url == "https://example.com/h");
    CHECK_FALSE(k.webhook.allow_private);
}
