// PurgeCSS keeps only the USWDS rules whose selectors name something our
// pages can contain: `make assets` runs it over the full uswds.min.css and
// writes static/vendor/uswds/css/uswds.trimmed.min.css, the stylesheet
// base.html links (the full one is about 520 KB, of which the pages use a
// sixth). tests/connect/test_assets.py checks that every usa-* class in
// templates/ and every class below survives.
//
// The content is everything that can put a class name on a member page:
// templates, our scripts, and the Python that renders HTML (template tags,
// form widgets, the Markdown renderer's allowed tags, Wagtail blocks).
module.exports = {
  css: ["node_modules/@uswds/uswds/dist/css/uswds.min.css"],
  content: [
    "templates/**/*.html",
    "static/js/**/*.js",
    "{connect,forum,resources,search,spotlights,notifications,assistance,conversations}/**/*.py",
  ],
  // USWDS's responsive and state utilities carry a prefix and a colon
  // (tablet:grid-col-6, hover:bg-primary), which PurgeCSS's default word
  // extractor would cut in two: keep the whole token as well as its parts.
  defaultExtractor: (content) => {
    const tokens = content.match(/[A-Za-z0-9_:-]+/g) || [];
    return tokens.concat(tokens.flatMap((token) => token.split(":")));
  },
  // Unused @font-face and @keyframes rules go too: a font the remaining rules
  // never name is never downloaded anyway.
  fontFace: true,
  keyframes: true,
  safelist: {
    // Classes and states USWDS's own JavaScript sets at run time, which no
    // template contains: the phone menu and its overlay, the "More" menu
    // and accordions, the loading guard of uswds-init.js, the Safari fix.
    standard: [
      "usa-js-loading",
      "usa-js-mobile-nav--active",
      "usa-js-no-click",
      "usa-overlay",
      "is-visible",
      "is-hidden",
      "is-safari",
      "is-set",
      "is-loading",
      "has-invalid-file",
      "usa-sr-only",
      "usa-hint",
      /--open$/,
      // Names templates compose from a variable (usa-alert--{{ level }},
      // usa-{{ kind }}__input), which no file spells out whole.
      /^usa-alert--(success|warning|error|info)$/,
      /^usa-(radio|checkbox)(__input|__label)?$/,
    ],
    // Components whose markup USWDS's JavaScript builds around the element
    // a template writes (the file input's drop zone, previews and messages):
    // every rule of the component stays.
    greedy: [/usa-file-input/],
  },
};
