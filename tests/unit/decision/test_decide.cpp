// decision::decide: the score threshold, the exact income × 48 versus loan comparison, the maximum
// approved amount and the reason texts of the contract.
#include <prequal/decision/decide.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using prequal::core::money;
namespace decision = prequal::decision;
using decision::outcome;

namespace {

money paise(std::int64_t p) { return money::from_paise(p); }

std::string name(outcome o) { return std::string(decision::to_string(o)); }

}  // namespace

TEST_CASE("unit: outcomes have the contract's status names", "[unit]") {
    CHECK(decision::to_string(outcome::pre_approved) == "PRE_APPROVED");
    CHECK(decision::to_string(outcome::rejected) == "REJECTED");
    CHECK(decision::to_string(outcome::manual_review) == "MANUAL_REVIEW");
}

TEST_CASE("unit: a score below 650 is rejected with no maximum amount", "[unit]") {
    for (int score : {300, 610, 649}) {
        for (const auto income : {money{}, money::from_rupees(120'000), money::from_rupees(100'000'000)}) {
            INFO(score << " " << income.to_string());
            const auto d = decision::decide(score, income, money::from_rupees(1'000));
            CHECK(name(d.status) == "REJECTED");
            CHECK_FALSE(d.max_approved.has_value());
            CHECK(d.reason == "CIBIL " + std::to_string(score) + " < 650");
        }
    }
    const auto d = decision::decide(610, money::from_rupees(120'000), money::from_rupees(500'000));
    CHECK(d.reason == "CIBIL 610 < 650");
}

TEST_CASE("unit: a score of exactly 650 is not rejected", "[unit]") {
    const auto approved = decision::decide(650, money::from_rupees(120'000), money::from_rupees(500'000));
    CHECK(name(approved.status) == "PRE_APPROVED");
    REQUIRE(approved.max_approved.has_value());
    const auto review = decision::decide(650, money::from_rupees(1'000), money::from_rupees(500'000));
    CHECK(name(review.status) == "MANUAL_REVIEW");
    CHECK(review.max_approved.has_value());
}

TEST_CASE("unit: income × 48 against the loan decides approval exactly, to the paisa", "[unit]") {
    struct row {
        std::int64_t income_paise;
        std::int64_t loan_paise;
        const char* status;
    };
    const std::vector<row> rows{
        {1'000'000, 48'000'000, "MANUAL_REVIEW"},  // 10000.00 × 48 == 480000.00
        {1'000'001, 48'000'000, "PRE_APPROVED"},   // one paisa more income
        {1'000'000, 47'999'999, "PRE_APPROVED"},   // one paisa less loan
        {1'000'000, 48'000'001, "MANUAL_REVIEW"},  // one paisa more loan
        {1, 48, "MANUAL_REVIEW"},                  // 0.01 × 48 == 0.48
        {1, 47, "PRE_APPROVED"},
        {0, 1, "MANUAL_REVIEW"},  // zero income never approves
        {0, 10'000'000'000, "MANUAL_REVIEW"},
        {10'000'000'000, 10'000'000'000, "PRE_APPROVED"},  // 100000000 each: largest values
        // 10416.67 × 48 = 500000.16 > 500000 although 10416.67 is loan/48 rounded; 10416.66 × 48 < 500000.
        {1'041'667, 50'000'000, "PRE_APPROVED"},
        {1'041'666, 50'000'000, "MANUAL_REVIEW"},
    };
    for (const auto& r : rows) {
        INFO("income paise " << r.income_paise << " loan paise " << r.loan_paise);
        const auto d = decision::decide(700, paise(r.income_paise), paise(r.loan_paise));
        CHECK(name(d.status) == r.status);
        REQUIRE(d.max_approved.has_value());
        CHECK(d.max_approved->paise() == r.income_paise * 48);
    }
}

TEST_CASE("unit: the maximum approved amount is income × 48 exactly", "[unit]") {
    struct row {
        std::int64_t income_paise;
        const char* expected;
    };
    for (const auto& r : std::vector<row>{{12'000'000, "5760000.00"},
                                          {1'234'567, "592592.16"},
                                          {1, "0.48"},
                                          {0, "0.00"},
                                          {10'000'000'000, "4800000000.00"}}) {
        INFO(r.income_paise);
        // Both outcomes that carry a maximum: a tiny loan (approved) and a huge one (manual review).
        for (const auto loan : {paise(1), money::from_rupees(100'000'000)}) {
            const auto d = decision::decide(800, paise(r.income_paise), loan);
            REQUIRE(d.max_approved.has_value());
            CHECK(d.max_approved->to_string() == r.expected);
        }
    }
}

TEST_CASE("unit: decision reasons read as in the contract", "[unit]") {
    const auto approved = decision::decide(790, money::from_rupees(120'000), money::from_rupees(500'000));
    CHECK(name(approved.status) == "PRE_APPROVED");
    CHECK(approved.reason == "CIBIL 790 >= 650 and monthly income 120000.00 > loan/48 (10416.67)");
    REQUIRE(approved.max_approved.has_value());
    CHECK(approved.max_approved->to_string() == "5760000.00");

    const auto review = decision::decide(700, money::from_rupees(10'000), money::from_rupees(500'000));
    CHECK(name(review.status) == "MANUAL_REVIEW");
    CHECK(review.reason.rfind("CIBIL 700 >= 650 but", 0) == 0);
    CHECK(review.reason == "CIBIL 700 >= 650 but monthly income 10000.00 <= loan/48 (10416.67)");

    const auto equal = decision::decide(655, money::from_rupees(10'000), money::from_rupees(480'000));
    CHECK(equal.reason == "CIBIL 655 >= 650 but monthly income 10000.00 <= loan/48 (10000.00)");

    const auto zero = decision::decide(700, money{}, money::from_paise(1));
    CHECK(name(zero.status) == "MANUAL_REVIEW");
    CHECK(zero.reason == "CIBIL 700 >= 650 but monthly income 0.00 <= loan/48 (0.00)");
    REQUIRE(zero.max_approved.has_value());
    CHECK(zero.max_approved->paise() == 0);
}

TEST_CASE("unit: zero income is manual review when the score permits and rejected otherwise", "[unit]") {
    CHECK(name(decision::decide(650, money{}, money::from_rupees(100'000)).status) == "MANUAL_REVIEW");
    CHECK(name(decision::decide(900, money{}, money::from_paise(1)).status) == "MANUAL_REVIEW");
    CHECK(name(decision::decide(649, money{}, money::from_paise(1)).status) == "REJECTED");
}

TEST_CASE("unit: each outcome carries the contract's reason codes in order", "[unit]") {
    using codes = std::vector<std::string_view>;
    struct row {
        int score;
        std::int64_t income_paise;
        std::int64_t loan_paise;
        const char* status;
        codes reason_codes;
    };
    const codes rejected{"SCORE_BELOW_650"};
    const codes approved{"SCORE_AT_LEAST_650", "INCOME_ABOVE_LOAN_OVER_48"};
    const codes review{"SCORE_AT_LEAST_650", "INCOME_NOT_ABOVE_LOAN_OVER_48"};
    const std::vector<row> rows{
        {300, 10'000'000'000, 1, "REJECTED", rejected},  // the lowest score, whatever the income
        {649, 1'000'001, 48'000'000, "REJECTED", rejected},
        {649, 0, 1, "REJECTED", rejected},
        {650, 1'000'001, 48'000'000, "PRE_APPROVED", approved},  // score boundary, income one paisa above
        {650, 1'000'000, 48'000'000, "MANUAL_REVIEW", review},   // income × 48 == loan is not above
        {651, 1'000'000, 47'999'999, "PRE_APPROVED", approved},
        {900, 1'000'000, 48'000'001, "MANUAL_REVIEW", review},
        {900, 0, 1, "MANUAL_REVIEW", review},
        {790, 12'000'000, 50'000'000, "PRE_APPROVED", approved},
        {700, 1'041'666, 50'000'000, "MANUAL_REVIEW", review},
        {700, 1'041'667, 50'000'000, "PRE_APPROVED", approved},
    };
    for (const auto& r : rows) {
        INFO(r.score << " income paise " << r.income_paise << " loan paise " << r.loan_paise);
        const auto d = decision::decide(r.score, paise(r.income_paise), paise(r.loan_paise));
        CHECK(name(d.status) == r.status);
        CHECK(d.reason_codes == r.reason_codes);
    }
}
