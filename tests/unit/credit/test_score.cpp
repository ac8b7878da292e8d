// credit::compute_score and its parts: reference PANs, income/loan-type adjustments at their exact
// boundaries, the deterministic jitter and clamping to 300..900.
#include <prequal/credit/score.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

using prequal::core::money;
namespace credit = prequal::credit;

namespace {

money paise(std::int64_t p) { return money::from_paise(p); }

// Deterministic, varied application ids shaped like the UUIDs the service issues.
std::vector<std::string> sample_ids(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012x", 0x3f1c0b9eu + i * 7919u, i & 0xffff,
                      (i * 31) & 0xfff, (i * 17) & 0xfff, i * 104729u);
        ids.emplace_back(buf);
    }
    return ids;
}

}  // namespace

TEST_CASE("unit: the reference PANs score exactly 790 and 610 whatever the income and loan type", "[unit]") {
    const std::vector<money> incomes{money{}, paise(2'999'999), money::from_rupees(50'000),
                                     money::from_rupees(100'000), money::from_rupees(100'000'000)};
    const std::vector<std::string> types{"", "PERSONAL", "HOME", "AUTO"};
    for (const auto& id : sample_ids(20)) {
        for (const auto income : incomes) {
            for (const auto& type : types) {
                INFO("id " << id << " income " << income.to_string() << " type '" << type << "'");
                CHECK(credit::compute_score("ABCDE1234F", income, type, id) == 790);
                CHECK(credit::compute_score("FGHIJ5678K", income, type, id) == 610);
            }
        }
    }
}

TEST_CASE("unit: only the exact reference PANs get fixed scores", "[unit]") {
    // Case differs or one character differs: the normal rule applies (650 ± 5 at a neutral income).
    for (const char* pan : {"abcde1234f", "ABCDE1234G", "FGHIJ5678L", "ABCDE1234F "}) {
        INFO(pan);
        const int s = credit::compute_score(pan, money::from_rupees(50'000), "", "id");
        CHECK(s >= 645);
        CHECK(s <= 655);
    }
}

TEST_CASE("unit: base score adjusts for income at its exact boundaries and for the loan type", "[unit]") {
    struct row {
        std::int64_t income_paise;
        const char* type;
        int expected;
    };
    const std::vector<row> rows{
        {5'000'000, "", 650},       // 50000.00: neutral band
        {7'500'000, "", 650},       // exactly 75000.00: not > 75000
        {7'500'001, "", 690},       // 75000.01
        {10'000'000'000, "", 690},  // 100000000.00
        {3'000'000, "", 650},       // exactly 30000.00: not < 30000
        {2'999'999, "", 630},       // 29999.99
        {0, "", 630},               // zero income
        {5'000'000, "PERSONAL", 640},
        {5'000'000, "HOME", 660},
        {5'000'000, "AUTO", 650},
        {7'500'001, "HOME", 700},
        {7'500'001, "PERSONAL", 680},
        {2'999'999, "PERSONAL", 620},
        {2'999'999, "HOME", 640},
        {2'999'999, "AUTO", 630},
        {5'000'000, "home", 650},  // not a loan type: no adjustment
    };
    for (const auto& r : rows) {
        INFO("income paise " << r.income_paise << " type '" << r.type << "'");
        CHECK(credit::base_score(paise(r.income_paise), r.type) == r.expected);
    }
}

TEST_CASE("unit: compute_score is the base score plus the id's jitter", "[unit]") {
    const std::vector<std::pair<std::int64_t, const char*>> inputs{
        {7'500'000, ""},         {7'500'001, ""},     {3'000'000, ""},     {2'999'999, ""},
        {5'000'000, "PERSONAL"}, {5'000'000, "HOME"}, {5'000'000, "AUTO"}, {7'500'001, "HOME"}};
    for (const auto& id : sample_ids(50)) {
        for (const auto& [income, type] : inputs) {
            INFO("id " << id << " income paise " << income << " type " << type);
            CHECK(credit::compute_score("PQRST1234Z", paise(income), type, id) ==
                  credit::base_score(paise(income), type) + credit::score_jitter(id));
        }
    }
}

TEST_CASE("unit: jitter stays within -5..+5, is deterministic and varies across ids", "[unit]") {
    std::set<int> seen;
    for (const auto& id : sample_ids(2000)) {
        const int j = credit::score_jitter(id);
        INFO(id);
        REQUIRE(j >= -5);
        REQUIRE(j <= 5);
        CHECK(credit::score_jitter(id) == j);
        CHECK(credit::score_jitter(std::string(id)) == j);  // a fresh copy of the same text
        seen.insert(j);
    }
    // 2000 ids over 11 buckets: a fair hash hits every value; a constant or narrow one does not.
    CHECK(seen.size() == 11);
    // Scores of different applications with the same inputs differ too.
    std::set<int> scores;
    for (const auto& id : sample_ids(200))
        scores.insert(credit::compute_score("PQRST1234Z", paise(5'000'000), "", id));
    CHECK(scores.size() > 1);
    CHECK(*scores.begin() >= 645);
    CHECK(*scores.rbegin() <= 655);
}

TEST_CASE("unit: jitter ignores the case of the application id", "[unit]") {
    for (auto id : sample_ids(200)) {
        std::string upper = id;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        INFO(id << " vs " << upper);
        CHECK(credit::score_jitter(upper) == credit::score_jitter(id));
        CHECK(credit::compute_score("PQRST1234Z", money::from_rupees(50'000), "AUTO", upper) ==
              credit::compute_score("PQRST1234Z", money::from_rupees(50'000), "AUTO", id));
    }
}

TEST_CASE("unit: clamp_score bounds scores to 300..900", "[unit]") {
    struct row {
        int in, out;
    };
    for (const auto& r : std::vector<row>{{-1000, 300},
                                          {0, 300},
                                          {299, 300},
                                          {300, 300},
                                          {301, 301},
                                          {650, 650},
                                          {899, 899},
                                          {900, 900},
                                          {901, 900},
                                          {5000, 900}}) {
        INFO(r.in);
        CHECK(credit::clamp_score(r.in) == r.out);
    }
    CHECK(credit::min_score == 300);
    CHECK(credit::max_score == 900);
}

TEST_CASE("unit: compute_score always lies within 300..900", "[unit]") {
    const std::vector<money> incomes{money{},
                                     paise(1),
                                     paise(2'999'999),
                                     paise(3'000'000),
                                     paise(7'500'000),
                                     paise(7'500'001),
                                     money::from_rupees(100'000'000)};
    for (const auto& id : sample_ids(300)) {
        for (const auto income : incomes) {
            for (const char* type : {"", "PERSONAL", "HOME", "AUTO"}) {
                const int s = credit::compute_score("PQRST1234Z", income, type, id);
                INFO(id << " " << income.to_string() << " " << type);
                CHECK(s >= 300);
                CHECK(s <= 900);
                // With these rules the unclamped range is 615..705: clamping must not alter it.
                CHECK(s == credit::base_score(income, type) + credit::score_jitter(id));
            }
        }
    }
}
