// Small labelled badges shared by the views.

import { h } from './dom.js';
import { sevLabel } from './format.js';

// A severity as a coloured badge (class sev-<severity>), labelled in the console's language.
export function sevBadge(sev) {
  return h('span', { class: 'badge sev-' + sev }, sevLabel(sev));
}
