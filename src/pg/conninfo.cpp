// with_tcp_liveness(): PQconninfoParse, then libpq keywords for whatever TCP liveness setting is unset.
#include <prequal/pg/conninfo.hpp>
#include <prequal/pg/error.hpp>

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

namespace prequal::pg {
namespace {

struct conninfo_deleter {
    void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

bool env_set(const char* name) {
    // libpq reads the same variables while connecting, and nothing in prequal changes the environment.
    return name != nullptr && std::getenv(name) != nullptr;  // NOLINT(concurrency-mt-unsafe)
}

}  // namespace

connection_parameters with_tcp_liveness(std::string_view conninfo, const tcp_liveness& settings) {
    char* message = nullptr;
    std::unique_ptr<PQconninfoOption, conninfo_deleter> parsed(
        PQconninfoParse(std::string(conninfo).c_str(), &message));
    if (!parsed) {
        std::string text = message != nullptr ? message : "out of memory";
        PQfreemem(message);
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        throw error(errc::connect_failed, "connect: invalid connection string: " + text, {}, text);
    }

    connection_parameters out;
    // Given means set in the string (even to "") or through the keyword's environment variable: libpq would
    // use either, and an explicit keyword from us would silently override the environment.
    auto given = [&](std::string_view keyword) {
        for (const PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
            if (keyword == o->keyword) return o->val != nullptr || env_set(o->envvar);
        }
        return false;
    };
    for (const PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
        if (o->val != nullptr) out.emplace_back(o->keyword, o->val);
    }
    if (given("service")) return out;

    auto add = [&](const char* keyword, std::string value) {
        if (!given(keyword)) out.emplace_back(keyword, std::move(value));
    };
    add("keepalives", "1");
    add("keepalives_idle", std::to_string(settings.keepalives_idle.count()));
    add("keepalives_interval", std::to_string(settings.keepalives_interval.count()));
    add("keepalives_count", std::to_string(settings.keepalives_count));
    add("tcp_user_timeout", std::to_string(settings.user_timeout.count()));
    // The backend's side of the same connection (PGC_USERSET settings, so any role may set them at start-up).
    add("options", "-c tcp_keepalives_idle=" + std::to_string(settings.keepalives_idle.count()) +
                       " -c tcp_keepalives_interval=" + std::to_string(settings.keepalives_interval.count()) +
                       " -c tcp_keepalives_count=" + std::to_string(settings.keepalives_count) +
                       " -c tcp_user_timeout=" + std::to_string(settings.user_timeout.count()) +
                       // A statement whose client gave up (operation timeout, crash) is aborted within a
                       // second instead of running to its end: abandoned statements must not pile up.
                       " -c client_connection_check_interval=1000");
    return out;
}

keyword_arrays::keyword_arrays(const connection_parameters& parameters) {
    keywords.reserve(parameters.size() + 1);
    values.reserve(parameters.size() + 1);
    for (const auto& [k, v] : parameters) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
}

}  // namespace prequal::pg
