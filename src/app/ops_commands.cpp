// `prequal dlq ...` and `prequal outbox status`: argument checks first (usage errors never touch the
// database), then one connection on a private io_context for the command's queries. `prequal migrate`
// the same way, with the migrations as its work.
#include "ops_commands.hpp"

#include "database.hpp"
#include "ops_queries.hpp"

#include <prequal/core/ids.hpp>
#include <prequal/notify/webhook_admin.hpp>
#include <prequal/pg/connection.hpp>
#include <prequal/pg/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>

namespace prequal::app {

namespace asio = boost::asio;
namespace json = boost::json;
namespace q = ops_queries;

namespace {

constexpr const char* dlq_usage =
    "usage: prequal dlq list | dlq show ID | dlq replay ID | dlq replay --all "
    "(ID: a dead letter number, or outbox:N for a dead outbox event)";
constexpr const char* outbox_usage = "usage: prequal outbox status";

// A dead letter ("7") or a dead outbox event ("outbox:12").
struct record_id {
    bool outbox = false;
    std::string number;
    std::string text() const { return outbox ? "outbox:" + number : number; }
};

std::optional<record_id> parse_id(std::string_view text) {
    record_id id;
    if (text.starts_with("outbox:")) {
        id.outbox = true;
        text.remove_prefix(7);
    }
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    id.number = std::string{text};
    return id;
}

// A dead letter or dead outbox event: its row and which of the two it is.
struct record {
    record_id id;
    q::record_row row;
};

std::vector<record> read_records(const pg::result& r, bool outbox) {
    std::vector<record> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (auto& row : r.rows_as<q::record_row>()) out.push_back({{outbox, row.id}, std::move(row)});
    return out;
}

json::object to_json(const record& r, bool with_payload) {
    json::object o{{"id", r.id.text()},
                   {"kind", r.id.outbox ? "outbox_event" : "dead_letter"},
                   {"topic", r.row.topic},
                   {"key", r.row.key},
                   {"message_id", r.row.message_id},
                   {"consumer_group", r.row.consumer_group},
                   {"reason", r.row.reason},
                   {"created_at", r.row.created_at}};
    const auto& replayed = r.row.replayed_at;
    o["replayed_at"] = replayed ? json::value(json::string(*replayed)) : json::value(nullptr);
    if (with_payload) {
        o["payload"] = r.row.payload;
        json::error_code ec;
        auto headers = json::parse(r.row.headers, ec);
        o["headers"] = ec ? json::value(json::string(r.row.headers)) : headers;
    }
    return o;
}

// Long text is cut to `width` characters (UTF-8 safe: never inside a multi-byte sequence), one line.
std::string clip(std::string s, std::size_t width) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    if (s.size() <= width) return s;
    std::size_t cut = width - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "...";
}

}  // namespace

void print_table(std::ostream& out, const std::vector<std::string>& head,
                 const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(head.size());
    for (std::size_t c = 0; c < head.size(); ++c) width[c] = head[c].size();
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            s += cells[c];
            if (c + 1 < cells.size()) s += std::string(width[c] - cells[c].size() + 2, ' ');
        }
        out << s << '\n';
    };
    line(head);
    for (const auto& row : rows) line(row);
}

namespace {

using conn_ptr = std::unique_ptr<pg::connection>;

asio::awaitable<int> dlq_list(pg::connection& c, bool as_json, std::ostream& out) {
    auto records = read_records(co_await c.execute(q::dead_letters), false);
    auto events = read_records(co_await c.execute(q::dead_events), true);
    records.insert(records.end(), events.begin(), events.end());
    if (as_json) {
        json::array a;
        for (const auto& r : records) a.push_back(to_json(r, false));
        out << json::serialize(json::object{{"messages", a}}) << '\n';
        co_return 0;
    }
    if (records.empty()) {
        out << "no dead-lettered messages or dead outbox events\n";
        co_return 0;
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(records.size());
    for (const auto& r : records)
        rows.push_back({r.id.text(), r.row.topic, r.row.key, r.row.consumer_group, r.row.created_at,
                        r.row.replayed_at.value_or("-"), clip(r.row.reason, 60)});
    print_table(out, {"ID", "TOPIC", "KEY", "GROUP", "CREATED", "REPLAYED", "REASON"}, rows);
    co_return 0;
}

asio::awaitable<int> dlq_show(pg::connection& c, record_id id, bool as_json, std::ostream& out,
                              std::ostream& err) {
    auto args = pg::args(id.number);
    auto r = co_await c.execute(id.outbox ? q::outbox_event : q::dead_letter, std::move(args));
    const auto records = read_records(r, id.outbox);
    if (records.empty()) {
        err << "prequal: no " << (id.outbox ? "outbox event " : "dead letter ") << id.text() << '\n';
        co_return 1;
    }
    const record& rec = records.front();
    if (as_json) {
        out << json::serialize(to_json(rec, true)) << '\n';
        co_return 0;
    }
    const q::record_row& row = rec.row;
    const std::vector<std::pair<const char*, std::string>> fields{
        {"id", rec.id.text()},          {"kind", rec.id.outbox ? "outbox_event" : "dead_letter"},
        {"topic", row.topic},           {"key", row.key},
        {"message_id", row.message_id}, {"consumer_group", row.consumer_group},
        {"created_at", row.created_at}, {"replayed_at", row.replayed_at.value_or("-")},
        {"reason", row.reason},         {"headers", row.headers},
        {"payload", row.payload}};
    for (const auto& [name, value] : fields)
        out << name << std::string(16 - std::string_view{name}.size(), ' ') << value << '\n';
    co_return 0;
}

struct replay_outcome {
    std::string id;
    std::string
        outbox_id;  // the event (or webhook delivery) that will be delivered again; empty when skipped
    std::string note;
    bool webhook = false;  // outbox_id names a webhook delivery
};

// A webhook delivery that died of old age is not re-published: its delivery row is re-armed (attempts 0, due
// now, a fresh max age) and the dispatchers are woken. Inside the caller's transaction, after the lock.
asio::awaitable<replay_outcome> rearm_webhook(pg::connection& c, std::string id, std::string event_id) {
    std::optional<std::string> delivery;
    if (core::is_uuid(event_id)) delivery = co_await notify::rearm_delivery(c, event_id);
    if (!delivery) {
        co_await c.execute(pg::rollback);
        co_return replay_outcome{id, "", "its webhook delivery is gone or was delivered meanwhile"};
    }
    pg::steps last{{q::mark_replayed, pg::args(id)}, {pg::commit, {}}};
    co_await c.pipeline(std::move(last));
    co_return replay_outcome{id, *delivery, "webhook delivery " + *delivery + " re-armed", true};
}

// Re-publishes one dead letter through the outbox, in one transaction.
asio::awaitable<replay_outcome> replay_dead_letter(pg::connection& c, std::string id) {
    auto lock_args = pg::args(id);
    pg::steps first{{pg::begin, {}}, {q::lock_dead_letter, std::move(lock_args)}};
    auto locked = co_await c.pipeline(std::move(first));
    auto letter = locked[1].maybe_one_as<q::locked_dead_letter_row>();
    if (!letter) {
        co_await c.execute(pg::rollback);
        co_return replay_outcome{id, "", "no such dead letter"};
    }
    if (letter->topic == notify::dead_letter_topic)
        co_return co_await rearm_webhook(c, id, letter->message_id);
    const std::string& key = letter->key;
    if (!core::is_uuid(key)) {
        co_await c.execute(pg::rollback);
        co_return replay_outcome{id, "", "its key '" + key.substr(0, 64) + "' is not an application id"};
    }
    if (!core::is_uuid(letter->message_id)) letter->message_id.clear();
    auto requeue_args =
        pg::args(letter->message_id, id, key, letter->topic, letter->event_type, letter->request_id,
                 letter->payload, letter->traceparent, letter->tracestate);
    pg::steps second{{q::requeue_message, std::move(requeue_args)}, {q::mark_replayed, pg::args(id)}};
    auto done = co_await c.pipeline(std::move(second));
    const auto requeued = done[0].one_as<q::requeued_row>();
    auto forget_args = pg::args(letter->topic, requeued.message_id);
    pg::steps last{
        {q::forget_recorded, std::move(forget_args)}, {q::notify_publishers, {}}, {pg::commit, {}}};
    co_await c.pipeline(std::move(last));
    co_return replay_outcome{id, requeued.id, "re-queued as outbox event " + requeued.id};
}

asio::awaitable<int> dlq_replay(pg::connection& c, std::optional<record_id> id, bool as_json,
                                std::ostream& out, std::ostream& err) {
    std::vector<replay_outcome> outcomes;
    bool missing = false;
    if (!id || !id->outbox) {
        std::vector<std::string> ids;
        if (id)
            ids.push_back(id->number);
        else {
            auto r = co_await c.execute(q::unreplayed_ids);
            for (auto& row : r.rows_as<q::id_row>()) ids.push_back(std::move(row.id));
        }
        for (const auto& one : ids) {
            auto o = co_await replay_dead_letter(c, one);
            if (o.outbox_id.empty() && o.note == "no such dead letter") missing = true;
            outcomes.push_back(std::move(o));
        }
    }
    if (!id || id->outbox) {
        const pg::param which = id ? pg::param{id->number} : std::nullopt;
        pg::params revive_args{which};
        auto r = co_await c.execute(q::revive_events, std::move(revive_args));
        for (const auto& revived : r.rows_as<q::id_row>())
            outcomes.push_back({"outbox:" + revived.id, revived.id, "dead outbox event live again"});
        if (id && r.empty()) {
            auto exists_args = pg::args(id->number);
            auto e = co_await c.execute(q::event_exists, std::move(exists_args));
            if (e.empty()) missing = true;
            outcomes.push_back(
                {id->text(), "", e.empty() ? "no such outbox event" : "not dead: nothing to replay"});
        }
        if (!r.empty()) co_await c.execute(q::notify_publishers);
    }
    if (missing && id)
        err << "prequal: no " << (id->outbox ? "outbox event " : "dead letter ") << id->text() << '\n';
    if (as_json) {
        json::array replayed, skipped;
        for (const auto& o : outcomes) {
            if (o.outbox_id.empty())
                skipped.push_back(json::object{{"id", o.id}, {"reason", o.note}});
            else if (o.webhook)
                replayed.push_back(json::object{{"id", o.id}, {"webhook_delivery_id", o.outbox_id}});
            else
                replayed.push_back(json::object{{"id", o.id}, {"outbox_event_id", o.outbox_id}});
        }
        out << json::serialize(json::object{{"replayed", replayed}, {"skipped", skipped}}) << '\n';
    } else if (outcomes.empty()) {
        out << "nothing to replay\n";
    } else {
        for (const auto& o : outcomes)
            out << (o.outbox_id.empty() ? "skipped " : "replayed ") << o.id << ": " << o.note << '\n';
    }
    co_return missing ? 1 : 0;
}

asio::awaitable<int> outbox_status(pg::connection& c, bool as_json, std::ostream& out) {
    auto r = co_await c.execute(q::outbox_status);
    const auto s = r.one_as<q::outbox_status_row>();
    const std::string& age = s.oldest_pending_age;
    if (as_json) {
        json::object o{
            {"pending", s.pending},   {"oldest_pending_age_seconds", std::strtod(age.c_str(), nullptr)},
            {"dead", s.dead},         {"published", s.published},
            {"archived", s.archived}, {"unreplayed_dead_letters", s.unreplayed_dead_letters}};
        out << json::serialize(o) << '\n';
        co_return 0;
    }
    print_table(out, {"METRIC", "VALUE"},
                {{"pending events", std::to_string(s.pending)},
                 {"oldest pending age", age + " s"},
                 {"dead events", std::to_string(s.dead)},
                 {"published events", std::to_string(s.published)},
                 {"archived events", std::to_string(s.archived)},
                 {"unreplayed dead letters", std::to_string(s.unreplayed_dead_letters)}});
    co_return 0;
}

}  // namespace

int run_ops_command(const command_line& cl, const core::logger& log, std::ostream& out, std::ostream& err) {
    const auto& a = cl.args;
    const bool all = std::find(a.begin(), a.end(), "--all") != a.end();
    std::function<asio::awaitable<int>(pg::connection&)> work;
    if (cl.command == "outbox") {
        if (a.size() != 1 || a[0] != "status") {
            err << "prequal: " << (a.empty() ? "missing subcommand" : "unknown subcommand '" + a[0] + "'")
                << "; " << outbox_usage << '\n';
            return 2;
        }
        work = [&](pg::connection& c) { return outbox_status(c, cl.json, out); };
    } else if (cl.command == "dlq") {
        const std::string sub = a.empty() ? "" : a[0];
        const std::size_t words = a.size() - (all ? 1 : 0);
        std::optional<record_id> id;
        if (sub == "list" && words == 1 && !all) {
            work = [&](pg::connection& c) { return dlq_list(c, cl.json, out); };
        } else if ((sub == "show" || sub == "replay") && !all) {
            if (words != 2 || !(id = parse_id(a[1]))) {
                err << "prequal: dlq " << sub << " needs one ID"
                    << (words == 2 ? ", got '" + a[1].substr(0, 40) + "'" : std::string{}) << "; "
                    << dlq_usage << '\n';
                return 2;
            }
            if (sub == "show")
                work = [&, id](pg::connection& c) { return dlq_show(c, *id, cl.json, out, err); };
            else
                work = [&, id](pg::connection& c) { return dlq_replay(c, id, cl.json, out, err); };
        } else if (sub == "replay" && all && words == 1) {
            work = [&](pg::connection& c) { return dlq_replay(c, std::nullopt, cl.json, out, err); };
        } else {
            err << "prequal: "
                << (sub.empty() ? "missing subcommand" : "unexpected arguments for dlq '" + sub + "'") << "; "
                << dlq_usage << '\n';
            return 2;
        }
    } else {
        err << "prequal: not an operator command: '" << cl.command << "'\n";
        return 2;
    }

    return run_on_database(cl.config, log, cl.command, err, work);
}

int run_on_database(const service_config& config, const core::logger& log, std::string_view command,
                    std::ostream& err, const std::function<asio::awaitable<int>(pg::connection&)>& work) {
    // A `serve` on the same data directory may be running: use its private PostgreSQL, leave it running.
    database db{config, log, /*borrow_running=*/true};
    asio::io_context ioc{1};
    int code = 1;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto conn =
                co_await pg::connection::connect(ioc.get_executor(), db.conninfo(), std::chrono::seconds{10});
            code = co_await work(*conn);
        },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            err << "prequal: " << command << " failed: " << e.what() << '\n';
        }
        return 1;
    }
    return code;
}

int run_migrate(const service_config& config, core::logger log) {
    const auto sql_dir = find_sql_dir(config);
    database db{config, log};
    const std::string& conninfo = db.conninfo();
    asio::io_context ioc{1};
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto conn =
                co_await pg::connection::connect(ioc.get_executor(), conninfo, std::chrono::seconds{30});
            auto report = co_await pg::migrate(*conn, sql_dir);
            for (const auto& f : report.applied) log.info("migration applied", {{"file", f}});
            log.info("database schema up to date", {{"applied_now", std::to_string(report.applied.size())}});
        },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return 0;
}

}  // namespace prequal::app
