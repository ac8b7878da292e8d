// Admission control's decision, without a database: backlog readings in, shedding flag, one log line per
// transition, the two metrics, and the count cap the reading needs.
#include <prequal/api/admission_control.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace prequal;
using api::admission_control;
using api::admission_limits;
using api::applications_backlog;

namespace {

class capture_sink final : public core::log_sink {
public:
    void write_line(std::string_view line) override { lines.emplace_back(line); }
    std::vector<std::string> lines;
};

bool has(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }

struct fixture {
    std::shared_ptr<capture_sink> sink = std::make_shared<capture_sink>();
    core::metrics_registry metrics;
    admission_control admission;
    explicit fixture(admission_limits limits)
        : admission{limits, core::logger{"admission", core::log_level::info, sink}, metrics} {}
    std::uint64_t rejected() { return metrics.get_counter("admission_rejected_total", "").value(); }
    std::int64_t shedding_gauge() { return metrics.get_gauge("admission_shedding", "").value(); }
};

}  // namespace

TEST_CASE("admission: sheds while more than max_pending are PENDING, admits again at the limit", "[pure]") {
    fixture f{{20, std::chrono::seconds{0}}};
    CHECK(f.admission.admit());  // no reading yet: admit
    f.admission.observe({20, 500});
    CHECK(f.admission.admit());  // at the limit (and no age limit)
    CHECK(f.sink->lines.empty());

    f.admission.observe({21, 1});
    CHECK(f.admission.shedding());
    CHECK(f.shedding_gauge() == 1);
    CHECK_FALSE(f.admission.admit());
    CHECK_FALSE(f.admission.admit());
    CHECK(f.rejected() == 2);
    f.admission.observe({25, 2});  // still over: no new log line
    REQUIRE(f.sink->lines.size() == 1);
    CHECK(has(f.sink->lines[0], "shedding"));
    CHECK(has(f.sink->lines[0], R"("pending":"21")"));
    CHECK(has(f.sink->lines[0], R"("max_pending":"20")"));
    CHECK(has(f.sink->lines[0], R"("level":"warn")"));

    f.admission.observe({20, 3});
    CHECK_FALSE(f.admission.shedding());
    CHECK(f.shedding_gauge() == 0);
    CHECK(f.admission.admit());
    CHECK(f.rejected() == 2);
    REQUIRE(f.sink->lines.size() == 2);
    CHECK(has(f.sink->lines[1], "accepting new applications again"));
    CHECK(has(f.sink->lines[1], R"("refused":"2")"));
}

TEST_CASE("admission: sheds while the oldest PENDING application is older than max_pending_age", "[pure]") {
    fixture f{{0, std::chrono::seconds{120}}};
    f.admission.observe({5000000, 120});  // no count limit; 120 s is not older than 120 s
    CHECK(f.admission.admit());
    f.admission.observe({1, 121});
    CHECK_FALSE(f.admission.admit());
    f.admission.observe({1, 0});
    CHECK(f.admission.admit());
    CHECK(f.sink->lines.size() == 2);
}

TEST_CASE("admission: both limits off never sheds", "[pure]") {
    fixture f{{}};
    f.admission.observe({100000000, 100000});
    CHECK(f.admission.admit());
    CHECK(f.shedding_gauge() == 0);
    CHECK(f.rejected() == 0);
}

TEST_CASE("admission: the backlog count stops just past max_pending, or at the fallback when it is off",
          "[pure]") {
    CHECK(admission_control::count_cap({100000, std::chrono::seconds{120}}, 1000000) == 100001);
    CHECK(admission_control::count_cap({0, std::chrono::seconds{120}}, 1000000) == 1000000);
    CHECK(admission_control::count_cap({5000000, std::chrono::seconds{0}}, 1000000) == 5000001);
    CHECK(admission_control::retry_after.count() >= 1);
}
