// Webhooks on --bus=kafka across processes: the API replica records the decision events (machine decisions
// come from the worker, reviews from the API replica itself), and the worker's notify module consumes them
// from the topic and delivers them to a test receiver on 127.0.0.1.
#include "kafka_cluster_process.hpp"
#include "replica_load.hpp"
#include "review_support.hpp"
#include "support/pg_harness.hpp"
#include "webhook_receiver.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <chrono>

using namespace prequal::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/// The signing secret `prequal webhook set` prints on its last line.
std::string set_webhook(const std::string& db, const kafka_deployment& d, const std::string& url) {
    const auto r =
        run_command({binary_path(), "webhook", "set", "--client=anonymous", "--url=" + url, "--allow-private",
                     "--database-url=" + db, "--encryption-keys=" + d.keys().encryption_keys});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
}

}  // namespace

TEST_CASE(
    "integration: kafka webhooks deliver the machine decision and the review, each once, across processes",
    "[integration][kafka][webhooks]") {
    kafka_cluster_process cluster{1, 3};
    const std::string db = pg_harness::instance().fresh_database();
    webhook_receiver receiver;
    kafka_deployment d{cluster.bootstrap(), db, 1, "credit,decision,notify", {"--webhook-allow-private"}};
    receiver.set_secrets({set_webhook(db, d, receiver.url())});

    // 650 + 40 (income > 75000) ± 5 ≥ 650, and 80000 × 48 = 3840000 ≤ 9000000: MANUAL_REVIEW.
    const auto submitted = post_json(d.api_port(), "/applications",
                                     "{\"pan_number\":\"" + unique_pan() +
                                         "\",\"monthly_income_inr\":80000,\"loan_amount_inr\":9000000,"
                                         "\"loan_type\":\"AUTO\"}");
    REQUIRE(submitted.status == 202);
    const std::string id{json::parse(submitted.body).at("application_id").as_string()};
    const auto decided = poll_final(d.api_port(), id);
    REQUIRE(decided.at("status").as_string() == "MANUAL_REVIEW");
    REQUIRE(eventually([&] { return receiver.requests().size() == 1; }, 60s));
    CHECK(receiver.requests().front().at("body").at("decided_by").as_string() == "rules");

    const auto reviewed = post_review(d.api_port(), id, "REJECTED", 2, "Arun Das", "income not verifiable");
    INFO(reviewed.body);
    REQUIRE(reviewed.status == 200);
    REQUIRE(eventually([&] { return receiver.requests().size() >= 2; }, 60s));
    const auto requests = receiver.requests();
    const auto& review = requests.back();
    INFO(json::serialize(review));
    CHECK(review.at("valid").as_array().at(0).as_bool());
    CHECK(review.at("event_id") != requests.front().at("event_id"));
    CHECK(review.at("body").at("application_id").as_string() == id);
    CHECK(review.at("body").at("status").as_string() == "REJECTED");
    CHECK(review.at("body").at("decided_by").as_string() == "review");
    CHECK(review.at("body").at("max_approved_amount_inr").is_null());
    CHECK(requests.size() == 2);
}
