// `npm run lint:links`: every relative link and #anchor in the README and docs/ points at a file
// and a heading that exist (remark-validate-links, offline). Links to other sites are not
// fetched: CI has no internet.
import remarkValidateLinks from "remark-validate-links";

export default {
  plugins: [[remarkValidateLinks, { repository: false }]],
};
