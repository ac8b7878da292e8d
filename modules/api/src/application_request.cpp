// Validation of POST /applications: every failing field gets its own detail, so a client fixes all of
// them in one round.
#include "json_fields.hpp"

#include <prequal/api/application_request.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace prequal::api {

namespace {

using detail::json_kind;
using detail::json_member;

constexpr std::array known_fields{std::string_view{"pan_number"},         std::string_view{"applicant_name"},
                                  std::string_view{"monthly_income_inr"}, std::string_view{"loan_amount_inr"},
                                  std::string_view{"loan_type"},          std::string_view{"consent"}};
constexpr std::array consent_fields{std::string_view{"purpose"}, std::string_view{"given_at"},
                                    std::string_view{"text_version"}, std::string_view{"channel"}};
const core::money max_amount = core::money::from_rupees(100'000'000);

// A field name safe to echo: bounded length, printable ASCII only.
std::string printable_field(std::string_view key) {
    std::string out;
    for (char c : key.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (key.size() > 64) out += "...";
    return out;
}

const json_member* find(const std::vector<json_member>& members, std::string_view key) {
    for (const auto& m : members)
        if (m.key == key) return &m;
    return nullptr;
}

const json_member* find(const detail::flat_object& o, std::string_view key) { return find(o.members, key); }

bool trim_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && trim_is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && trim_is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Counts UTF-8 code points and spots control characters (C0, DEL, C1). Input is valid UTF-8 (the JSON
// parser checked it).
void scan_text(std::string_view s, std::size_t& chars, bool& has_control) {
    chars = 0;
    has_control = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) != 0x80) ++chars;
        if (c < 0x20 || c == 0x7F) has_control = true;
        if (c == 0xC2 && i + 1 < s.size()) {
            const auto n = static_cast<unsigned char>(s[i + 1]);
            if (n >= 0x80 && n <= 0x9F) has_control = true;
        }
    }
}

// Reads a money field (JSON number or decimal string) and checks its range; adds a detail on failure.
std::optional<core::money> read_money(const detail::flat_object& o, std::string_view name, bool zero_allowed,
                                      std::vector<http::error_detail>& details) {
    const json_member* m = find(o, name);
    const std::string field{name};
    if (!m) {
        details.push_back({field, "is required"});
        return std::nullopt;
    }
    if (m->kind == json_kind::null) {
        details.push_back({field, "must not be null"});
        return std::nullopt;
    }
    if (m->kind != json_kind::number && m->kind != json_kind::string) {
        details.push_back(
            {field, fmt::format("must be a number or a decimal string, not {}", kind_name(m->kind))});
        return std::nullopt;
    }
    core::money value;
    switch (core::money::parse(m->text, value)) {
        case core::money_error::none:
            break;
        case core::money_error::syntax:
            details.push_back({field, "must be a decimal number such as 50000 or \"50000.00\""});
            return std::nullopt;
        case core::money_error::too_many_decimals:
            details.push_back({field, "must have at most 2 decimal places"});
            return std::nullopt;
        case core::money_error::out_of_range:
            details.push_back({field, zero_allowed ? "must be between 0 and 100000000"
                                                   : "must be greater than 0 and at most 100000000"});
            return std::nullopt;
    }
    const bool low = zero_allowed ? value < core::money{} : value <= core::money{};
    if (low || value > max_amount) {
        details.push_back({field, zero_allowed ? "must be between 0 and 100000000"
                                               : "must be greater than 0 and at most 100000000"});
        return std::nullopt;
    }
    return value;
}

// A consent text member (`consent.<name>`): a string of 1..max characters (code points, not trimmed: the
// client's own identifiers, kept as sent) without control characters. Adds a detail on failure.
std::optional<std::string> read_consent_text(const json_member& consent, std::string_view name, bool required,
                                             std::size_t max, std::vector<http::error_detail>& details) {
    const std::string field = "consent." + std::string(name);
    const json_member* m = find(consent.members, name);
    if (!m) {
        if (required) details.push_back({field, "is required"});
        return std::nullopt;
    }
    if (m->kind == json_kind::null) {
        details.push_back({field, "must not be null"});
        return std::nullopt;
    }
    if (m->kind != json_kind::string) {
        details.push_back({field, fmt::format("must be a string, not {}", kind_name(m->kind))});
        return std::nullopt;
    }
    std::size_t chars = 0;
    bool control = false;
    scan_text(m->text, chars, control);
    if (chars < 1 || chars > max) {
        details.push_back({field, fmt::format("must be 1-{} characters", max)});
        return std::nullopt;
    }
    if (control) {
        details.push_back({field, "must not contain control characters"});
        return std::nullopt;
    }
    return m->text;
}

// The `consent` member (contract section 8), every failing sub-field named `consent.<name>`.
std::optional<consent_record> read_consent(const json_member& m, const validation_options& options,
                                           std::vector<http::error_detail>& details) {
    if (m.kind == json_kind::null) {
        details.push_back({"consent", "must not be null (leave it out when there is none)"});
        return std::nullopt;
    }
    if (m.kind != json_kind::object) {
        details.push_back({"consent", fmt::format("must be an object, not {}", kind_name(m.kind))});
        return std::nullopt;
    }
    const std::size_t before = details.size();
    for (const auto& c : m.members) {
        if (std::find(consent_fields.begin(), consent_fields.end(), c.key) == consent_fields.end())
            details.push_back({"consent." + printable_field(c.key), "is not a known field"});
    }
    for (const auto& k : m.duplicate_keys)
        details.push_back({"consent." + printable_field(k), "appears more than once"});

    consent_record out;
    if (auto v = read_consent_text(m, "purpose", true, max_consent_text, details))
        out.purpose = std::move(*v);
    if (auto v = read_consent_text(m, "text_version", true, max_consent_text, details))
        out.text_version = std::move(*v);
    if (auto v = read_consent_text(m, "channel", false, max_consent_channel, details))
        out.channel = std::move(*v);

    if (const json_member* g = find(m.members, "given_at"); !g) {
        details.push_back({"consent.given_at", "is required"});
    } else if (g->kind == json_kind::null) {
        details.push_back({"consent.given_at", "must not be null"});
    } else if (g->kind != json_kind::string) {
        details.push_back({"consent.given_at", fmt::format("must be a string, not {}", kind_name(g->kind))});
    } else if (auto at = parse_rfc3339(g->text); !at) {
        details.push_back(
            {"consent.given_at",
             "must be an RFC 3339 date-time with a time zone (years 0001-9999), e.g. 2026-12-04T10:00:00Z"});
    } else {
        const auto now_micros =
            std::chrono::duration_cast<std::chrono::microseconds>(options.now.time_since_epoch()).count();
        const auto tolerance = std::chrono::microseconds{consent_future_tolerance}.count();
        if (*at > now_micros + tolerance)
            details.push_back({"consent.given_at", "must not be more than 5 minutes in the future"});
        else
            out.given_at_micros = *at;
    }
    if (details.size() != before) return std::nullopt;
    return out;
}

// A length-prefixed field of canonical_form: no value can imitate the fields after it.
std::string framed(std::string_view s) { return fmt::format("{}:{}", s.size(), s); }

}  // namespace

bool is_valid_pan(std::string_view pan) {
    if (pan.size() != 10) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        const char c = pan[i];
        const bool letter = c >= 'A' && c <= 'Z';
        const bool digit = c >= '0' && c <= '9';
        if ((i < 5 || i == 9) ? !letter : !digit) return false;
    }
    return true;
}

std::string mask_pan(std::string_view pan) {
    const std::size_t keep = std::min<std::size_t>(4, pan.size());
    return std::string(pan.size() - keep, 'X') + std::string(pan.substr(pan.size() - keep));
}

bool is_valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > 255) return false;
    return std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string canonical_form(const application_request& r) {
    std::string out = fmt::format("v1|{}|{}|{}|{}|{}", r.pan_number, r.applicant_name,
                                  r.monthly_income.to_string(), r.loan_amount.to_string(), r.loan_type);
    if (const auto& c = r.consent)
        out += fmt::format("|consent|{}|{}|{}|{}", framed(c->purpose), framed(c->text_version),
                           c->given_at_micros, framed(c->channel));
    return out;
}

parse_outcome parse_application_request(std::string_view body, const validation_options& options) {
    if (body.empty()) return malformed_json{"request body is empty"};
    std::string error;
    auto object = detail::read_flat_object(body, max_json_depth, error);
    if (!object) return malformed_json{std::move(error)};
    if (!object->is_object) return invalid_request{{{"body", "must be a JSON object"}}};

    std::vector<http::error_detail> details;
    for (const auto& m : object->members) {
        if (std::find(known_fields.begin(), known_fields.end(), m.key) == known_fields.end())
            details.push_back({printable_field(m.key), "is not a known field"});
    }
    for (const auto& k : object->duplicate_keys)
        details.push_back({printable_field(k), "appears more than once"});

    application_request req;
    if (const json_member* m = find(*object, "pan_number"); !m) {
        details.push_back({"pan_number", "is required"});
    } else if (m->kind == json_kind::null) {
        details.push_back({"pan_number", "must not be null"});
    } else if (m->kind != json_kind::string) {
        details.push_back({"pan_number", fmt::format("must be a string, not {}", kind_name(m->kind))});
    } else if (!is_valid_pan(m->text)) {
        details.push_back({"pan_number", fmt::format("must match {}", pan_pattern)});
    } else {
        req.pan_number = m->text;
    }

    if (const json_member* m = find(*object, "applicant_name"); m && m->kind != json_kind::null) {
        if (m->kind != json_kind::string) {
            details.push_back(
                {"applicant_name", fmt::format("must be a string, not {}", kind_name(m->kind))});
        } else {
            const std::string_view name = trim(m->text);
            std::size_t chars = 0;
            bool control = false;
            scan_text(name, chars, control);
            if (chars < 1 || chars > 255)
                details.push_back({"applicant_name", "must be 1-255 characters after trimming"});
            else if (control)
                details.push_back({"applicant_name", "must not contain control characters"});
            else
                req.applicant_name = name;
        }
    }

    if (auto v = read_money(*object, "monthly_income_inr", true, details)) req.monthly_income = *v;
    if (auto v = read_money(*object, "loan_amount_inr", false, details)) req.loan_amount = *v;

    if (const json_member* m = find(*object, "loan_type"); m && m->kind != json_kind::null) {
        if (m->kind != json_kind::string || (m->text != "PERSONAL" && m->text != "HOME" && m->text != "AUTO"))
            details.push_back({"loan_type", "must be one of PERSONAL, HOME, AUTO"});
        else
            req.loan_type = m->text;
    }

    if (const json_member* m = find(*object, "consent"))
        req.consent = read_consent(*m, options, details);
    else if (options.require_consent)
        details.push_back({"consent", "is required (this service runs with --require-consent)"});

    if (!details.empty()) return invalid_request{std::move(details)};
    return req;
}

}  // namespace prequal::api
