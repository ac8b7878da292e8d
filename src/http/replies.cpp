#include <prequal/http/replies.hpp>

#include <algorithm>
#include <cctype>

namespace prequal::http {

response json_response(unsigned status, std::string body) {
    response r;
    r.status = status;
    r.body = std::move(body);
    r.set_header("Content-Type", "application/json; charset=utf-8");
    return r;
}

response error_for(const request& req, unsigned status, std::string_view error_code, std::string_view message,
                   const std::vector<error_detail>& details) {
    return make_error(status, error_code, message, req.request_id, req.path, details);
}

bool is_json_content_type(const std::string* value) {
    if (value == nullptr) return false;
    std::string media = value->substr(0, value->find(';'));
    media.erase(std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
                media.end());
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return media == "application/json";
}

}  // namespace prequal::http
