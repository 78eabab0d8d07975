/* Search-as-you-type selects of references and users (app/fieldtypes/record_select.py).
 * A <select class="portal-lookup" data-lookup="/lookup/<form>/<field>"> holds only the chosen
 * record; Select2 asks the lookup URL for 20 matches at a time as the user types. Filters
 * added to a list's search form later (FAB's ab_filters.js) are set up when added; an active
 * filter's record is named by asking the lookup URL for its id. */
(function ($) {
  "use strict";

  function setUp(select) {
    var $select = $(select);
    if ($select.data("portal-lookup")) { return; }
    $select.data("portal-lookup", true);
    var url = $select.attr("data-lookup");
    var blank = $select.attr("data-blank") === "1";
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: blank,
      placeholder: {id: "__None", text: $select.attr("data-placeholder") || ""},
      minimumInputLength: 0,
      ajax: {
        url: url,
        dataType: "json",
        delay: 250,
        data: function (params) { return {q: params.term || "", page: params.page || 1}; },
        processResults: function (data) {
          return {results: data.results || [], pagination: {more: !!data.more}};
        }
      },
      language: {
        searching: function () { return $select.attr("data-searching"); },
        noResults: function () { return $select.attr("data-no-results"); },
        loadingMore: function () { return $select.attr("data-loading-more"); },
        errorLoading: function () { return $select.attr("data-error"); }
      }
    });
    nameActiveFilter($select, url);
  }

  /* An active filter's select got its value from the URL but has no option for it. */
  function nameActiveFilter($select, url) {
    var name = $select.attr("name") || "";
    if (name.indexOf("_flt_") !== 0) { return; }
    var value = new URLSearchParams(window.location.search).get(name);
    if (!value || $select.find("option[value='" + CSS.escape(value) + "']").length) { return; }
    $.getJSON(url, {id: value}).done(function (data) {
      var found = (data.results || [])[0];
      if (found) {
        $select.append(new Option(found.text, found.id, true, true)).trigger("change");
      }
    });
  }

  function setUpAll() { $("select.portal-lookup").each(function () { setUp(this); }); }

  $(function () {
    setUpAll();
    // FAB adds a filter's input on this click (its own handler runs first).
    $(document).on("click", "a.filter", function () { window.setTimeout(setUpAll, 0); });
  });
})(jQuery);
