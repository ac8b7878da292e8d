// libFuzzer target: raw bytes as a bus message value, decoded the way the credit and decision handlers
// decode theirs (envelope + require_string/int/money), then fed to the pure scoring and decision rules; the
// credit report a valid submission yields is encoded and must decode again.
// bus::poison_message is the expected rejection; anything else escaping, a crash or a sanitizer report is
// a bug.
#include <prequal/bus/envelope.hpp>
#include <prequal/core/money.hpp>
#include <prequal/credit/score.hpp>
#include <prequal/decision/decide.hpp>
#include <prequal/events/topics.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace prequal;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_message_decoder: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

// A decoded amount must survive the text round trip the outgoing messages and SQL parameters rely on.
void check_round_trip(core::money m) {
    core::money back;
    const std::string text = m.to_string();
    if (core::money::parse(text, back) != core::money_error::none || back != m) fail("money round trip:", text);
}

// The decision handler's decoding (modules/decision/src/decision_module.cpp) and the pure rule.
void decode_credit_report(std::string_view payload) {
    const bus::envelope in = bus::decode_envelope(payload, events::credit_report_generated);
    const int score = static_cast<int>(bus::require_int(in.body, "cibil_score", 300, 900));
    const core::money income = bus::require_money(in.body, "monthly_income_inr", core::money{}, bus::max_amount);
    const core::money loan = bus::require_money(in.body, "loan_amount_inr", core::money::from_paise(1), bus::max_amount);
    check_round_trip(income);
    check_round_trip(loan);
    const decision::decision d = decision::decide(score, income, loan);
    const bool rejected = d.status == decision::outcome::rejected;
    if (rejected == d.max_approved.has_value()) fail("max_approved present iff not rejected violated");
    if (rejected != (score < decision::min_approval_score)) fail("rejection does not follow the score");
    if (d.max_approved) check_round_trip(*d.max_approved);
    (void)decision::to_string(d.status);
}

// The credit handler's decoding (modules/credit/src/credit_module.cpp), minus decryption: the sealed PAN
// text stands in for the PAN, which compute_score accepts as any string.
void decode_submitted(std::string_view payload) {
    const bus::envelope in = bus::decode_envelope(payload, events::application_submitted);
    const std::string key_id = bus::require_string(in.body, "pan_key_id");
    const std::string sealed = bus::require_string(in.body, "pan_number_encrypted");
    const core::money income = bus::require_money(in.body, "monthly_income_inr", core::money{}, bus::max_amount);
    const core::money loan = bus::require_money(in.body, "loan_amount_inr", core::money::from_paise(1), bus::max_amount);
    const std::string loan_type = bus::optional_string(in.body, "loan_type");
    check_round_trip(income);
    check_round_trip(loan);
    const int score = credit::compute_score(sealed, income, loan_type, in.application_id);
    if (score < credit::min_score || score > credit::max_score) fail("score out of range");

    // The credit report the handler would publish (its message id stands in for a fresh UUID) must decode
    // the way the decision handler decodes it.
    const bus::outgoing_envelope credit_report{in.message_id, events::credit_report_generated, in.occurred_at,
                                               in.application_id, in.request_id};
    boost::json::object fields;
    fields["cibil_score"] = score;
    fields["monthly_income_inr"] = income.to_string();
    fields["loan_amount_inr"] = loan.to_string();
    fields["loan_type"] = loan_type.empty() ? boost::json::value(nullptr) : boost::json::value(loan_type);
    const std::string encoded = bus::encode_envelope(credit_report, fields);
    try {
        decode_credit_report(encoded);
    } catch (const bus::poison_message& e) {
        fail("the encoded credit report does not decode:", e.what());
    }
}

// PREQUAL_FUZZ_VERBOSE=1 prints each decoding's outcome: handy when replaying one input.
void report(const char* event, const char* outcome) {
    static const bool on = [] {
        const char* v = std::getenv("PREQUAL_FUZZ_VERBOSE");
        return v != nullptr && std::string_view{v} == "1";
    }();
    if (on) std::fprintf(stderr, "%s: %s\n", event, outcome);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view payload{reinterpret_cast<const char*>(data), size};
    try {
        decode_submitted(payload);
        report("loan_application_submitted", "decoded");
    } catch (const bus::poison_message& e) {
        report("loan_application_submitted", e.what());
    }
    try {
        decode_credit_report(payload);
        report("credit_report_generated", "decoded");
    } catch (const bus::poison_message& e) {
        report("credit_report_generated", e.what());
    }
    return 0;
}
