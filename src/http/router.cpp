// Routing: exact segment matching with {name} captures; 404 for an unknown path, 405 + Allow for a known
// path with the wrong method.
#include <prequal/http/errors.hpp>
#include <prequal/http/router.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>

namespace prequal::http {
namespace {

// "/a/b" → {"a","b"}; "/" → {""}; "/a/" → {"a",""}. Empty segments are kept so "/a/" never equals "/a".
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') return out;
    path.remove_prefix(1);
    for (;;) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool is_capture(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Literal segments compare exactly (case-sensitive, no percent-decoding); a capture takes one non-empty
// segment.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_capture(pattern[i])) {
            if (path[i].empty()) return false;  // "/applications//status" has no id
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    return true;
}

// More literal segments = a more specific route.
std::size_t literal_count(const std::vector<std::string>& pattern) {
    return static_cast<std::size_t>(
        std::count_if(pattern.begin(), pattern.end(), [](const std::string& s) { return !is_capture(s); }));
}

// Error messages quote the path; a 16 KiB target must not come back whole.
constexpr std::size_t max_quoted_path = 200;

std::string quoted_path(std::string_view path) {
    if (path.size() <= max_quoted_path) return std::string(path);
    return std::string(path.substr(0, max_quoted_path)) + "...";
}

}  // namespace

void router::add(std::string method, std::string pattern, handler h, std::string permission) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + pattern);
    }
    std::vector<std::string> segments;
    for (auto s : split_path(pattern)) segments.emplace_back(s);
    routes_.push_back(route{std::move(method), std::move(pattern), std::move(segments), std::move(h),
                            std::move(permission)});
}

boost::asio::awaitable<response> router::dispatch(request& req) const {
    const auto path = split_path(req.path);
    const route* best = nullptr;
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        if (!matches(r.segments, path)) continue;
        if (r.method != req.method) {
            allowed.push_back(r.method);
            continue;
        }
        // With "/a/{id}" and "/a/search" both registered, the literal route wins whatever the order.
        if (best == nullptr || literal_count(r.segments) > literal_count(best->segments)) best = &r;
    }
    if (best != nullptr) {
        req.route = best->pattern;
        req.path_params.clear();
        for (std::size_t i = 0; i < best->segments.size(); ++i) {
            const auto& seg = best->segments[i];
            if (is_capture(seg)) req.path_params.emplace_back(seg.substr(1, seg.size() - 2), path[i]);
        }
        if (best->permission.empty() || !guard_) co_return co_await best->h(req);
        guard_decision decision = co_await guard_(req, best->permission);
        if (decision.refusal) {
            for (auto& [name, value] : decision.headers) decision.refusal->set_header(name, std::move(value));
            co_return std::move(*decision.refusal);
        }
        response res = co_await best->h(req);
        for (auto& [name, value] : decision.headers) res.set_header(name, std::move(value));
        co_return res;
    }
    if (!allowed.empty()) {
        std::sort(allowed.begin(), allowed.end());
        allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
        std::string allow;
        for (const auto& m : allowed) {
            if (!allow.empty()) allow += ", ";
            allow += m;
        }
        auto res =
            make_error(405, "METHOD_NOT_ALLOWED",
                       "method " + quoted_path(req.method) + " is not allowed for " + quoted_path(req.path),
                       req.request_id, req.path);
        res.set_header("Allow", std::move(allow));
        co_return res;
    }
    co_return make_error(404, "NOT_FOUND",
                         "no route for " + quoted_path(req.method) + " " + quoted_path(req.path),
                         req.request_id, req.path);
}

}  // namespace prequal::http
