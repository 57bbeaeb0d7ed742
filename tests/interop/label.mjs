// The confidentiality label element (docs/labels.md) as the interop scripts report it.

/** The <__label> element as node-cot holds it (xml-js compact form), or null. */
export function describeLabel(element) {
  if (!element) return null;
  const one = Array.isArray(element) ? element[0] : element;
  const attrs = one._attributes ?? {};
  const categories = one.category === undefined ? [] : [].concat(one.category);
  return {
    policy: attrs.policy ?? null,
    classification: attrs.classification ?? null,
    releasableTo: attrs.releasableTo ?? null,
    caveat: attrs.caveat ?? null,
    categories: categories.map((c) => ({
      name: c._attributes?.name ?? null,
      type: c._attributes?.type ?? null,
      values: c._attributes?.values ?? null,
    })),
  };
}
