// Certificate loading for `serve`: start-up and SIGHUP reloads, with the log lines and counters operators
// watch (which certificate is in use, and whether the last reload worked).
#include "tls_reloader.hpp"

#include <prequal/core/clock.hpp>

#include <boost/asio/post.hpp>

#include <chrono>
#include <string>

namespace prequal::app {

namespace {

constexpr auto reloads_help =
    "SIGHUP reloads of the TLS certificate and key, by outcome (failure: the old "
    "certificate is still served).";

}  // namespace

tls_reloader::tls_reloader(std::filesystem::path cert_file, std::filesystem::path key_file, core::logger log,
                           core::metrics_registry& metrics)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      log_(std::move(log)),
      reloaded_(metrics.get_counter("http_tls_reloads_total", reloads_help, {{"outcome", "success"}})),
      reload_failed_(metrics.get_counter("http_tls_reloads_total", reloads_help, {{"outcome", "failure"}})) {}

tls_reloader::~tls_reloader() { worker_.join(); }

std::shared_ptr<const http::tls_credentials> tls_reloader::load_initial() {
    auto credentials = http::tls_credentials::load(cert_file_, key_file_);
    log_in_use(*credentials, "TLS certificate in use");
    return credentials;
}

void tls_reloader::reload(boost::asio::any_io_executor ex, install_fn install) {
    boost::asio::post(worker_, [this, ex = std::move(ex), install = std::move(install)]() mutable {
        std::shared_ptr<const http::tls_credentials> credentials;
        try {
            credentials = http::tls_credentials::load(cert_file_, key_file_);
        } catch (const std::exception& e) {
            reload_failed_.inc();
            log_.error("TLS reload failed; still serving the previous certificate", {{"error", e.what()}});
            return;
        }
        // Counted and logged once new connections get it: on the io thread, after install.
        boost::asio::post(ex, [this, credentials = std::move(credentials), install = std::move(install)] {
            install(credentials);
            reloaded_.inc();
            log_in_use(*credentials, "TLS certificate reloaded; new connections get it");
        });
    });
}

void tls_reloader::log_in_use(const http::tls_credentials& credentials, std::string_view what) const {
    const auto not_after = core::format_utc_millis(credentials.not_after());
    log_.info(what, {{"subject", credentials.subject()},
                     {"serial", credentials.serial()},
                     {"not_after", not_after},
                     {"cert_file", cert_file_.string()}});
    if (credentials.not_after() <= std::chrono::system_clock::now())
        log_.warn("the TLS certificate in use has expired: clients that verify it refuse to connect",
                  {{"subject", credentials.subject()}, {"not_after", not_after}});
}

}  // namespace prequal::app
