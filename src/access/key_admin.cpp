// The statements behind `prequal apikey`, in the order the commands run them.
#include "queries.hpp"

#include <prequal/access/api_key.hpp>
#include <prequal/access/key_admin.hpp>

#include <array>
#include <charconv>

namespace prequal::access {

boost::asio::awaitable<created_key> create_key(pg::connection& c, key_settings settings) {
    const generated_key k = generate_api_key();
    std::string scopes;
    for (const auto& s : settings.scopes) scopes += (scopes.empty() ? "" : ",") + s;
    std::optional<std::string> days;
    if (settings.expires_in_days) {
        std::array<char, 64> text{};  // shortest exact form: 0.0001 stays 0.0001
        const auto end = std::to_chars(text.data(), text.data() + text.size(), *settings.expires_in_days).ptr;
        days.emplace(text.data(), end);
    }
    auto insert_args =
        pg::args(k.id, settings.client, k.secret_sha256, scopes, settings.rate_limit, settings.burst, days);
    // The notification lets replicas load the key before its first use rather than on it.
    pg::steps steps{{pg::begin, {}},
                    {queries::insert_key, std::move(insert_args)},
                    {queries::notify_keys_changed, pg::args(k.id)},
                    {pg::commit, {}}};
    auto results = co_await c.pipeline(std::move(steps));
    co_return created_key{k.text, results[1].one_as<key_info>()};
}

boost::asio::awaitable<std::vector<key_info>> list_keys(pg::connection& c) {
    auto r = co_await c.execute(queries::list_keys);
    co_return r.rows_as<key_info>();
}

boost::asio::awaitable<revoke_outcome> revoke_key(pg::connection& c, std::string id) {
    auto revoke_args = pg::args(id);
    pg::steps steps{{pg::begin, {}},
                    {queries::revoke_key, std::move(revoke_args)},
                    {queries::notify_keys_changed, pg::args(id)},
                    {pg::commit, {}}};
    auto results = co_await c.pipeline(std::move(steps));
    if (!results[1].empty()) co_return revoke_outcome::revoked;
    auto exists = co_await c.execute(queries::key_exists, pg::args(id));
    co_return exists.empty() ? revoke_outcome::not_found : revoke_outcome::already_revoked;
}

}  // namespace prequal::access
