// W3C Trace Context parsing is strict (lowercase hex, fixed lengths): whatever fails is ignored and a new
// trace begins, as the recommendation asks; the caller never gets an error for it.
#include <prequal/core/ids.hpp>
#include <prequal/core/trace_context.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace prequal::core {
namespace {

constexpr std::size_t trace_id_size = 32;
constexpr std::size_t span_id_size = 16;
constexpr std::size_t version_00_size = 55;  // "00-" + 32 + "-" + 16 + "-" + 2
constexpr std::size_t max_tracestate_members = 32;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool all_lower_hex(std::string_view s) { return std::all_of(s.begin(), s.end(), is_lower_hex); }

bool all_zero(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

std::string random_hex(std::size_t digits) {
    static constexpr char hex[] = "0123456789abcdef";
    std::vector<std::uint8_t> bytes(digits / 2);
    std::string out;
    do {
        random_fill(bytes.data(), bytes.size());
        out.clear();
        for (auto b : bytes) {
            out += hex[b >> 4];
            out += hex[b & 0xf];
        }
    } while (all_zero(out));  // all zero is the "invalid" id
    return out;
}

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_key_char(char c) {
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// key = simple-key / multi-tenant-key; simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/");
// multi-tenant-key = tenant-id "@" system-id; tenant-id = (lcalpha / DIGIT) 0*240(...);
// system-id = lcalpha 0*13(...).
bool is_valid_key(std::string_view key) {
    const auto at = key.find('@');
    if (at == std::string_view::npos) {
        return !key.empty() && key.size() <= 256 && is_lcalpha(key[0]) &&
               std::all_of(key.begin(), key.end(), is_key_char);
    }
    const auto tenant = key.substr(0, at);
    const auto system = key.substr(at + 1);
    return !tenant.empty() && tenant.size() <= 241 && (is_lcalpha(tenant[0]) || is_digit(tenant[0])) &&
           std::all_of(tenant.begin(), tenant.end(), is_key_char) && !system.empty() && system.size() <= 14 &&
           is_lcalpha(system[0]) && std::all_of(system.begin(), system.end(), is_key_char);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
bool is_valid_value(std::string_view value) {
    if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
    return std::all_of(value.begin(), value.end(),
                       [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<traceparent_fields> parse_traceparent(std::string_view v) {
    if (v.size() < version_00_size) return std::nullopt;
    const auto version = v.substr(0, 2);
    if (!all_lower_hex(version) || version == "ff" || v[2] != '-') return std::nullopt;
    // Version 00 has exactly this length; a later version may append fields after a '-'.
    if (version == "00" ? v.size() != version_00_size : (v.size() > version_00_size && v[55] != '-'))
        return std::nullopt;
    traceparent_fields f{std::string(v.substr(3, trace_id_size)), std::string(v.substr(36, span_id_size)),
                         std::string(v.substr(53, 2))};
    if (v[35] != '-' || v[52] != '-') return std::nullopt;
    if (!all_lower_hex(f.trace_id) || all_zero(f.trace_id)) return std::nullopt;
    if (!all_lower_hex(f.parent_id) || all_zero(f.parent_id)) return std::nullopt;
    if (!all_lower_hex(f.flags)) return std::nullopt;
    return f;
}

bool is_valid_tracestate(std::string_view value) {
    if (value.size() > max_tracestate_size) return false;
    std::vector<std::string_view> keys;
    std::size_t start = 0;
    while (start <= value.size()) {
        auto end = value.find(',', start);
        if (end == std::string_view::npos) end = value.size();
        const auto member = trim_ows(value.substr(start, end - start));
        start = end + 1;
        if (member.empty()) continue;  // list members may be empty
        const auto eq = member.find('=');
        if (eq == std::string_view::npos) return false;
        const auto key = member.substr(0, eq);
        if (!is_valid_key(key) || !is_valid_value(member.substr(eq + 1))) return false;
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) return false;
        keys.push_back(key);
        if (keys.size() > max_tracestate_members) return false;
    }
    return !keys.empty();
}

std::string trace_context::traceparent() const {
    if (empty()) return {};
    return "00-" + trace_id + "-" + span_id + "-" + flags;
}

trace_context context_of(std::string_view traceparent) {
    auto f = parse_traceparent(traceparent);
    if (!f) return {};
    trace_context t;
    t.trace_id = std::move(f->trace_id);
    t.span_id = std::move(f->parent_id);
    t.flags = std::move(f->flags);
    return t;
}

std::string new_span_id() { return random_hex(span_id_size); }

trace_context new_trace() {
    trace_context t;
    t.trace_id = random_hex(trace_id_size);
    t.span_id = new_span_id();
    return t;
}

trace_context continue_trace(std::string_view traceparent, std::string_view tracestate) {
    auto parent = parse_traceparent(traceparent);
    if (!parent) return new_trace();
    trace_context t;
    t.trace_id = std::move(parent->trace_id);
    t.parent_id = std::move(parent->parent_id);
    t.span_id = new_span_id();
    t.flags = std::move(parent->flags);
    if (is_valid_tracestate(tracestate)) t.tracestate = std::string(tracestate);
    return t;
}

}  // namespace prequal::core
