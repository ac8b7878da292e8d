// Builds the contract's JSON error body. Boost.JSON stays in this TU so handlers need only message.hpp.
#include <prequal/core/clock.hpp>
#include <prequal/http/errors.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>

namespace prequal::http {
namespace {

// Paths and messages can carry arbitrary client bytes; Boost.JSON does not validate UTF-8 on output, so
// invalid sequences are replaced with U+FFFD to keep the body valid JSON.
std::string valid_utf8(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        auto c = static_cast<unsigned char>(in[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = len != 0 && i + len <= in.size();
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
        for (std::size_t k = 1; ok && k < len; ++k) {
            auto cc = static_cast<unsigned char>(in[i + k]);
            ok = (cc >> 6) == 0x2;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Reject overlong forms, surrogates and code points past U+10FFFF.
        static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= min_cp[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        if (ok) {
            out.append(in.substr(i, len));
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    return out;
}

}  // namespace

response make_error(unsigned status, std::string_view error_code, std::string_view message,
                    std::string_view request_id, std::string_view path,
                    const std::vector<error_detail>& details) {
    boost::json::array detail_array;
    detail_array.reserve(details.size());
    for (const auto& d : details) {
        detail_array.push_back(
            boost::json::object{{"field", valid_utf8(d.field)}, {"issue", valid_utf8(d.issue)}});
    }
    boost::json::object body;
    body["error_code"] = error_code;
    body["message"] = valid_utf8(message);
    body["details"] = std::move(detail_array);
    body["request_id"] = valid_utf8(request_id);
    body["timestamp"] = core::now_utc_millis();
    body["path"] = valid_utf8(path);

    response res;
    res.status = status;
    res.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    res.body = boost::json::serialize(body);
    return res;
}

}  // namespace prequal::http
