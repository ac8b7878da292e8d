// The event feed (contract section 10) against real PostgreSQL: 16 concurrent writers (machine decisions
// and reviews) while a reader pages with limit=37 sees every event exactly once in commit order; a
// transaction held open across another's commit is neither skipped nor reordered; kill -9 loses and repeats
// nothing.
#include "review_support.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/service_test_access.hpp"

#include <prequal/decision/decision_module.hpp>
#include <prequal/decision/event_feed.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace prequal::test;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

/// A body for POST /applications with a mix of outcomes: i % 4 == 0 approved, 1 rejected, else MANUAL_REVIEW.
std::string mixed_application(int i) {
    const std::string pan = unique_pan();
    switch (i % 4) {
        case 0:  // 650 + 40 + 10 ± 5, 100000 × 48 > 500000
            return R"({"pan_number":")" + pan +
                   R"(","monthly_income_inr":100000,"loan_amount_inr":500000,"loan_type":"HOME"})";
        case 1:  // 650 − 20 − 10 ± 5 < 650
            return R"({"pan_number":")" + pan +
                   R"(","monthly_income_inr":20000,"loan_amount_inr":500000,"loan_type":"PERSONAL"})";
        default:  // 650 + 40 ± 5, 80000 × 48 ≤ 9000000
            return R"({"pan_number":")" + pan +
                   R"(","monthly_income_inr":80000,"loan_amount_inr":9000000,"loan_type":"AUTO"})";
    }
}

std::string str(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

/// Pages the feed from `cursor` to its current end; returns the events and moves `cursor`.
std::vector<json::object> drain(std::uint16_t port, std::string& cursor, int limit = 37) {
    std::vector<json::object> out;
    for (;;) {
        const auto page = read_feed(port, cursor, limit);
        REQUIRE(page.status == 200);
        out.insert(out.end(), page.events.begin(), page.events.end());
        cursor = page.next;
        if (page.events.empty()) return out;
    }
}

/// Waits (bounded) until the sequencer has given every committed event its feed position.
void wait_sequenced(const std::string& db) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (sql_count(db, "SELECT count(*) FROM decision_events WHERE seq IS NULL") > 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    REQUIRE(sql_count(db, "SELECT count(*) FROM decision_events WHERE seq IS NULL") == 0);
}

/// Every event once, in the feed's stored order, and matching the history row by row.
void check_against_database(const std::string& db, const std::vector<json::object>& seen) {
    std::set<std::string> ids;
    std::string order;
    std::string decisions;
    for (const auto& e : seen) {
        ids.insert(str(e, "event_id"));
        order += (order.empty() ? "" : ",") + str(e, "event_id");
    }
    CHECK(ids.size() == seen.size());
    CHECK(static_cast<std::int64_t>(seen.size()) == sql_count(db, "SELECT count(*) FROM decision_events"));
    CHECK(static_cast<std::int64_t>(seen.size()) == sql_count(db, "SELECT count(*) FROM decision_history"));
    CHECK(order ==
          sql_value(db, "SELECT string_agg(message_id::text, ',' ORDER BY seq) FROM decision_events"));
    // The same decisions as the history (application, who, outcome), compared as sorted lists.
    std::vector<std::string> from_feed;
    for (const auto& e : seen)
        from_feed.push_back(str(e, "application_id") + ":" + str(e, "decided_by") + ":" + str(e, "status"));
    std::sort(from_feed.begin(), from_feed.end());
    std::string joined;
    for (const auto& s : from_feed) joined += (joined.empty() ? "" : ",") + s;
    CHECK(joined ==
          sql_value(db,
                    "SELECT string_agg(x, ',' ORDER BY x COLLATE \"C\") FROM (SELECT application_id::text "
                    "|| ':' || decided_by || ':' || status AS x FROM decision_history) h"));
    // Causality: an application's review comes after its machine decision.
    std::map<std::string, std::string> last_by;
    for (const auto& e : seen) {
        const auto app = str(e, "application_id");
        if (str(e, "decided_by") == "review") CHECK(last_by[app] == "rules");
        last_by[app] = str(e, "decided_by");
    }
}

}  // namespace

TEST_CASE(
    "integration: event feed: 16 concurrent writers, a reader paging by 37 sees every event once in order",
    "[integration][pg][slow]") {
    service_fixture f;
    constexpr int target_decisions = 2000;
    constexpr int writers = 16;
    std::atomic<int> decisions{0};
    std::atomic<int> next_app{0};
    std::atomic<int> failures{0};
    std::atomic<bool> writing{true};

    std::vector<json::object> seen;
    std::string cursor;
    std::thread reader{[&] {
        const auto deadline = std::chrono::steady_clock::now() + 300s;
        while (std::chrono::steady_clock::now() < deadline) {
            // Once the writers are done, read until every decision's event has been seen (the feed numbers
            // events within the sequencer's interval of their commit); a duplicate would show as too many.
            const bool last_round = !writing && static_cast<int>(seen.size()) >= decisions;
            const auto page = read_feed(f.port(), cursor, 37);
            if (page.status != 200) {
                ++failures;
                return;
            }
            seen.insert(seen.end(), page.events.begin(), page.events.end());
            cursor = page.next;
            if (page.events.empty()) {
                if (last_round) return;
                std::this_thread::sleep_for(5ms);
            }
        }
    }};
    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t)
        threads.emplace_back([&] {
            while (decisions < target_decisions) {
                const int i = next_app++;
                const auto r = post_json(f.port(), "/applications", mixed_application(i));
                if (r.status != 202) {
                    ++failures;
                    return;
                }
                const std::string id{json::parse(r.body).at("application_id").as_string()};
                const auto s = poll_final(f.port(), id);
                if (s.empty() || s.at("status").as_string() == "PENDING") {
                    ++failures;
                    return;
                }
                ++decisions;
                if (s.at("status").as_string() != "MANUAL_REVIEW") continue;
                const auto review = post_review(f.port(), id, i % 3 == 0 ? "REJECTED" : "PRE_APPROVED",
                                                s.at("version").as_int64());
                if (review.status != 200) {
                    ++failures;
                    return;
                }
                ++decisions;
            }
        });
    for (auto& t : threads) t.join();
    writing = false;
    reader.join();
    REQUIRE(failures == 0);
    wait_sequenced(f.conninfo());
    INFO("decisions " << decisions.load() << ", events seen " << seen.size());
    CHECK(decisions >= target_decisions);
    CHECK(static_cast<int>(seen.size()) == decisions);
    check_against_database(f.conninfo(), seen);
    // A cursor from the last page stays empty until a new decision arrives.
    CHECK(read_feed(f.port(), cursor, 500).events.empty());
}

TEST_CASE(
    "integration: event feed: a decision held open across another's commit is neither skipped nor reordered",
    "[integration][pg]") {
    service_fixture f;
    auto* decision = service_test_access::decision_module(f.service());
    REQUIRE(decision != nullptr);
    std::atomic<bool> release{false};
    std::atomic<int> reached{0};
    std::mutex mutex;
    std::string held_id;
    // Holds the first decision after its UPDATE, before its COMMIT: its event row is written (with the
    // smaller id) and its transaction stays open while later decisions commit. A feed ordered by id would let
    // a reader page past the later ids and never see it.
    const auto hold = [&](const std::string& application_id) -> asio::awaitable<void> {
        if (reached++ != 0) co_return;
        {
            std::lock_guard lock{mutex};
            held_id = application_id;
        }
        asio::steady_timer timer{co_await asio::this_coro::executor};
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!release && std::chrono::steady_clock::now() < deadline) {
            timer.expires_after(10ms);
            co_await timer.async_wait(asio::use_awaitable);
        }
    };
    service_test_access::run_on_io(f.service(), [&] { decision->before_commit = hold; });
    const auto held = f.submit_ok(unique_pan(), "100000", "500000", "HOME");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (reached == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    REQUIRE(reached > 0);
    {
        std::lock_guard lock{mutex};
        REQUIRE(held_id == held);
    }
    std::string cursor;
    CHECK(drain(f.port(), cursor).empty());

    // Later applications are decided and committed while the first transaction is open (several of them,
    // in case one shares the held application's bus partition).
    std::vector<std::string> later;
    for (int i = 0; i < 3; ++i) later.push_back(f.submit_ok(unique_pan(), "100000", "500000", "HOME"));
    std::vector<json::object> before_release;
    while (before_release.empty() && std::chrono::steady_clock::now() < deadline + 30s) {
        auto more = drain(f.port(), cursor);
        before_release.insert(before_release.end(), more.begin(), more.end());
        if (before_release.empty()) std::this_thread::sleep_for(10ms);
    }
    REQUIRE_FALSE(before_release.empty());
    for (const auto& e : before_release) CHECK(str(e, "application_id") != held);
    CHECK(sql_value(f.conninfo(), "SELECT status FROM applications WHERE id = '" + held + "'") == "PENDING");

    // Give the other later decisions time to commit too (one may share the held one's bus partition and wait
    // behind it); note which committed while the held transaction was open.
    const auto settle = std::chrono::steady_clock::now() + 10s;
    std::set<std::string> committed_first;
    while (std::chrono::steady_clock::now() < settle) {
        committed_first.clear();
        for (const auto& id : later)
            if (sql_value(f.conninfo(), "SELECT status FROM applications WHERE id = '" + id + "'") !=
                "PENDING")
                committed_first.insert(id);
        if (committed_first.size() == later.size()) break;
        std::this_thread::sleep_for(10ms);
    }
    release = true;
    for (const auto& id : later) f.wait_final(id);
    CHECK(f.wait_final(held).at("status").as_string() == "PRE_APPROVED");
    // From the cursor taken while it was open: the held decision appears, once, after what committed first.
    std::vector<json::object> after_release;
    while (std::chrono::steady_clock::now() < deadline + 60s) {
        auto more = drain(f.port(), cursor);
        after_release.insert(after_release.end(), more.begin(), more.end());
        if (before_release.size() + after_release.size() == 4) break;
        std::this_thread::sleep_for(10ms);
    }
    int held_seen = 0;
    for (const auto& e : after_release) held_seen += str(e, "application_id") == held ? 1 : 0;
    CHECK(held_seen == 1);
    std::vector<json::object> all = before_release;
    all.insert(all.end(), after_release.begin(), after_release.end());
    REQUIRE(all.size() == 4);
    check_against_database(f.conninfo(), all);
    // Its transaction started first (now() is the transaction's start) and wrote its event row first (smaller
    // id), yet it is last in the feed: commit order, not start or insertion order.
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM decision_events e, decision_events x WHERE "
                    "e.application_id = '" +
                        held + "' AND x.application_id <> e.application_id AND x.id < e.id") == 0);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM decision_history h, decision_history x WHERE "
                    "h.application_id = '" +
                        held +
                        "' AND x.application_id <> h.application_id AND x.decided_at < "
                        "h.decided_at") == 0);
    // Every decision that committed while it was open comes before it in the feed.
    std::size_t held_at = 0;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (str(all[i], "application_id") == held) held_at = i;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (committed_first.count(str(all[i], "application_id")) != 0) CHECK(i < held_at);
    CHECK(held_at >= committed_first.size());
}

TEST_CASE("integration: event feed and history survive kill -9: nothing missing, nothing repeated",
          "[integration][pg][slow]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    const auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    std::vector<json::object> seen;
    std::string cursor;
    {
        server_process server{args};
        wait_healthy(port);
        std::atomic<bool> stop{false};
        std::atomic<int> accepted{0};
        std::vector<std::thread> clients;
        for (int t = 0; t < 4; ++t)
            clients.emplace_back([&, t] {
                for (int i = t; !stop; i += 4) {
                    const auto r = post_json(port, "/applications", mixed_application(i));
                    if (r.status != 202) continue;
                    ++accepted;
                    const std::string id{json::parse(r.body).at("application_id").as_string()};
                    const auto s = poll_final(port, id);
                    if (!s.empty() && s.at("status").as_string() == "MANUAL_REVIEW")
                        post_review(port, id, "PRE_APPROVED", s.at("version").as_int64());
                }
            });
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (accepted < 150 && std::chrono::steady_clock::now() < deadline) {
            auto more = drain(port, cursor);
            seen.insert(seen.end(), more.begin(), more.end());
            std::this_thread::sleep_for(10ms);
        }
        server.kill(SIGKILL);
        CHECK(server.wait() == 128 + SIGKILL);
        stop = true;
        for (auto& c : clients) c.join();
    }
    REQUIRE_FALSE(seen.empty());

    server_process server{args};
    wait_healthy(port);
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline &&
           sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") > 0)
        std::this_thread::sleep_for(100ms);
    REQUIRE(sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") == 0);
    // The cursor from before the crash goes on where it stopped.
    wait_sequenced(db);
    auto more = drain(port, cursor);
    seen.insert(seen.end(), more.begin(), more.end());
    check_against_database(db, seen);
    CHECK(sql_count(db, "SELECT count(*) FROM decision_history WHERE decided_by = 'rules'") ==
          sql_count(db, "SELECT count(*) FROM applications"));
    server.kill(SIGTERM);
    CHECK(server.wait() == 0);
}

TEST_CASE("integration: event feed retention deletes only events older than the window, in batches",
          "[integration][pg]") {
    // No service on this database: its own retention run at start-up would race the statement under test.
    const std::string db = pg_harness::instance().fresh_database();
    const auto job = prequal::decision::event_feed_retention(std::chrono::hours{24 * 30});
    for (int i = 0; i < 3; ++i)
        sql_value(
            db,
            "INSERT INTO decision_events (client, message_id, application_id, payload, created_at) VALUES "
            "('anonymous', gen_random_uuid(), gen_random_uuid(), '{}', now() - interval '31 days')");
    sql_value(db,
              "INSERT INTO decision_events (client, message_id, application_id, payload, created_at) VALUES "
              "('anonymous', gen_random_uuid(), gen_random_uuid(), '{}', now() - interval '29 days')");
    // The job's statement as the retention runner executes it: $1 age in ms, $2 batch size.
    std::string batch = job.batch_sql;
    const auto bind = [&](const std::string& name, const std::string& value) {
        for (auto at = batch.find(name); at != std::string::npos; at = batch.find(name))
            batch.replace(at, 2, value);
    };
    bind("$1", std::to_string(job.age.count()));
    bind("$2", "2");
    sql_value(db, batch);
    CHECK(sql_count(db, "SELECT count(*) FROM decision_events") == 2);  // a batch is at most 2
    sql_value(db, batch);
    CHECK(sql_count(db, "SELECT count(*) FROM decision_events") == 1);
    CHECK(sql_count(
              db, "SELECT count(*) FROM decision_events WHERE created_at > now() - interval '30 days'") == 1);
    CHECK(job.name == "decision_events");
}
