// `serve --tls-cert/--tls-key`: the first load at start-up and the reloads SIGHUP asks for. A reload reads
// the files on a worker thread of its own (a file on a slow or network mount must not stall the io thread),
// then installs the new credentials on the io thread for new connections; a bad file keeps the old ones.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/http/tls_credentials.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <memory>

namespace prequal::app {

class tls_reloader {
public:
    using install_fn = std::function<void(std::shared_ptr<const http::tls_credentials>)>;

    tls_reloader(std::filesystem::path cert_file, std::filesystem::path key_file, core::logger log,
                 core::metrics_registry& metrics);
    ~tls_reloader();  // waits for a reload in progress
    tls_reloader(const tls_reloader&) = delete;
    tls_reloader& operator=(const tls_reloader&) = delete;

    /// Blocking, at start-up: loads and logs the certificate in use. Throws http::tls_error naming the file.
    std::shared_ptr<const http::tls_credentials> load_initial();

    /// Reads the files again off the calling thread. On success `install` runs on `ex` with the new
    /// credentials and the certificate now in use is logged; on failure the error is logged and `install`
    /// is not called. Reloads run one at a time, in the order asked.
    void reload(boost::asio::any_io_executor ex, install_fn install);

private:
    void log_in_use(const http::tls_credentials& credentials, std::string_view what) const;

    std::filesystem::path cert_file_;
    std::filesystem::path key_file_;
    core::logger log_;
    core::counter& reloaded_;
    core::counter& reload_failed_;
    boost::asio::thread_pool worker_{1};  // last: joined before the members its jobs use are destroyed
};

}  // namespace prequal::app
