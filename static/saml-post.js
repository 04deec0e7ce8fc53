// The console hop for saml roles: send the signed SAMLResponse form to AWS at once.
// A static file (the CSP allows no inline script); the page's button does the same without it.
(function () {
  "use strict";
  var form = document.getElementById("saml-post");
  if (form) {
    form.submit();
  }
})();
