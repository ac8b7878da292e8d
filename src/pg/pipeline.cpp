// libpq pipeline mode: all statements (and Parse for first-use prepared ones) in one round trip.
#include "connection_impl.hpp"

namespace prequal::pg {
namespace {

struct sent_command {
    bool is_prepare;
    std::size_t step;
};

std::string step_context(const statement& st, std::size_t index) {
    return st.name.empty() ? "pipeline step " + std::to_string(index + 1) : std::string(st.name);
}

}  // namespace

boost::asio::awaitable<std::vector<result>> connection::impl::run_pipeline(
    connection& self, const std::vector<std::pair<statement, params>>& steps,
    clock_type::time_point deadline) {
    constexpr std::string_view context = "pipeline";
    if (PQenterPipelineMode(conn) == 0) fail(self, errc::protocol, context);

    std::vector<sent_command> sent;
    std::unordered_set<std::string_view> preparing;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& [st, args] = steps[i];
        const param_buffer values(args);
        int ok = 1;
        if (st.name.empty()) {
            ok = PQsendQueryParams(conn, std::string(st.sql).c_str(), values.size(), nullptr, values.values(),
                                   nullptr, nullptr, 0);
        } else {
            const std::string name(st.name);
            if (!prepared.contains(st.name) && preparing.insert(st.name).second) {
                ok = PQsendPrepare(conn, name.c_str(), std::string(st.sql).c_str(), 0, nullptr);
                sent.push_back({true, i});
            }
            ok = ok != 0 ? PQsendQueryPrepared(conn, name.c_str(), values.size(), values.values(), nullptr,
                                               nullptr, 0)
                         : 0;
        }
        if (ok == 0) fail(self, errc::connection_lost, step_context(st, i));
        sent.push_back({false, i});
    }
    if (PQpipelineSync(conn) == 0) fail(self, errc::connection_lost, context);
    co_await flush(self, deadline, context);

    // Each command yields its results then a null; after a failure the server skips the rest
    // (PIPELINE_ABORTED) up to the sync, which ends the batch.
    std::vector<result> results(steps.size());
    std::optional<error> failure;
    std::size_t index = 0;
    for (bool synced = false; !synced;) {
        pgresult_ptr r = co_await next_result(self, deadline, context);
        if (!r) {
            if (PQstatus(conn) == CONNECTION_BAD) break;
            ++index;
            continue;
        }
        const std::size_t cmd = std::min(index, sent.size() - 1);
        const auto& st = steps[sent[cmd].step].first;
        switch (PQresultStatus(r.get())) {
            case PGRES_PIPELINE_SYNC:
                synced = true;
                break;
            case PGRES_PIPELINE_ABORTED:
                break;
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
            case PGRES_EMPTY_QUERY:
                if (sent[cmd].is_prepare) {
                    prepared.emplace(st.name);
                } else {
                    results[sent[cmd].step] = result(r.release());
                }
                break;
            case PGRES_FATAL_ERROR:
                if (!failure) failure = query_error(r.get(), step_context(st, sent[cmd].step));
                break;
            default:
                self.broken_ = true;
                throw error(errc::protocol, std::string(context) + ": unexpected result status");
        }
        if (PQstatus(conn) == CONNECTION_BAD) break;
    }
    check_connection(self, context, failure);
    if (PQexitPipelineMode(conn) == 0) fail(self, errc::protocol, context);
    if (failure) throw *failure;
    co_return results;
}

}  // namespace prequal::pg
