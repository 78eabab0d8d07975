/* The API documentation page (/api-docs/, app/templates/portal/api_docs.html): Swagger UI
   from the portal's own copy (app/static/vendor/swagger-ui), on the document the page names.
   A successful sign-in made from the page authorizes the page's later calls with its token.
   No inline script: the portal's CSP allows scripts from its own origin only. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var LOGIN = "/api/v1/security/login";
  var ui = window.SwaggerUIBundle({
    url: node.getAttribute("data-url"),
    domNode: node,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    validatorUrl: null,  // no call to an online validator
    responseInterceptor: function (response) {
      var url = String(response.url || "");
      if (response.ok && url.slice(-LOGIN.length) === LOGIN && response.body &&
          response.body.access_token) {
        ui.preauthorizeApiKey("bearerAuth", response.body.access_token);
      }
      return response;
    }
  });
  window.portalApiDocs = ui;  // for the browser test
}());
