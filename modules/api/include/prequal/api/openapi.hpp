// The OpenAPI 3 document of the HTTP contract. The api module owns it because it describes the API; the
// platform serves it at /openapi.json in every process. A free function rather than an api_module member,
// so a process that runs no api module (worker-only) can serve it too.
#pragma once

#include <string>

namespace prequal::api {

/// The document as JSON text (built once; valid for the whole program).
const std::string& openapi_document();

}  // namespace prequal::api
