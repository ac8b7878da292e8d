// The ruleset version changes whenever the rules do (contract section 7): decide() is run over a table of the
// boundary cases of contract section 2, its answers (outcome, reason codes, maximum amount) are serialised
// and hashed, and the hash must equal the fingerprint recorded beside decision::ruleset_version. Changing a
// rule changes an answer, hence the hash, and this test says what to do about it.
#include <prequal/crypto/digest.hpp>
#include <prequal/decision/decide.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using prequal::core::money;
namespace decision = prequal::decision;

namespace {

/// Every score and amount where an answer of section 2 flips, and the extremes of each input.
std::string boundary_table() {
    const std::vector<int> scores{300, 609, 610, 611, 648, 649, 650, 651, 700, 790, 899, 900};
    struct amounts {
        std::int64_t income_paise;
        std::int64_t loan_paise;
    };
    const std::vector<amounts> pairs{
        {0, 1},                            // no income: never above loan/48
        {0, 10'000'000'000},               //
        {1, 47},                           // 0.01 × 48 = 0.48 against 0.47, 0.48, 0.49
        {1, 48},                           //
        {1, 49},                           //
        {1'000'000, 47'999'999},           // 10000.00 × 48 = 480000.00 against one paisa either side
        {1'000'000, 48'000'000},           //
        {1'000'000, 48'000'001},           //
        {1'041'666, 50'000'000},           // loan/48 = 10416.666…: rounding must not decide
        {1'041'667, 50'000'000},           //
        {12'000'000, 50'000'000},          // the contract's example
        {10'000'000'000, 10'000'000'000},  // the largest amounts
        {10'000'000'000, 1},               //
    };
    std::string table;
    for (int score : scores)
        for (const auto& p : pairs) {
            const auto d =
                decision::decide(score, money::from_paise(p.income_paise), money::from_paise(p.loan_paise));
            table += std::to_string(score) + ' ' + std::to_string(p.income_paise) + ' ' +
                     std::to_string(p.loan_paise) + " -> " + std::string(decision::to_string(d.status));
            for (auto code : d.reason_codes) table += ' ' + std::string(code);
            table += ' ' + (d.max_approved ? d.max_approved->to_string() : std::string("null")) + '\n';
        }
    return table;
}

}  // namespace

TEST_CASE("unit: the rules' boundary cases hash to the fingerprint recorded with the ruleset version",
          "[unit]") {
    const std::string fingerprint = prequal::crypto::sha256_hex(boundary_table());
    INFO("decide() answers the boundary cases differently from what ruleset_version "
         << decision::ruleset_version
         << " recorded: the rules changed. Bump decision::ruleset_version (decide.hpp) and record "
            "ruleset_fingerprint = \""
         << fingerprint << "\" beside it.");
    CHECK(fingerprint == decision::ruleset_fingerprint);
}

TEST_CASE("unit: the ruleset version is a non-empty name", "[unit]") {
    CHECK_FALSE(decision::ruleset_version.empty());
    CHECK(decision::ruleset_fingerprint.size() == 64);
}
