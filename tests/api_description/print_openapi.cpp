// Prints the API description exactly as GET /openapi.json serves it, for tools that check the document
// (redocly_lint.sh).
#include <prequal/api/openapi.hpp>

#include <iostream>

int main() {
    std::cout << prequal::api::openapi_document() << '\n';
    return 0;
}
