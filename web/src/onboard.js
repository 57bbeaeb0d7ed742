// The "Connection package" panel: a node operator makes the zip a TAK client imports (what
// `kizuna certs package` does) through POST api/connection-packages. Shown only to an identity with
// the role node-operator; the node checks again (its organization too) and says why when it refuses.

/** The request body from the form's values. */
export function packageRequest(values) {
  const body = {
    name: String(values.name ?? '').trim(),
    organization: String(values.organization ?? ''),
    host: String(values.host ?? '').trim(),
    itak: Boolean(values.itak),
  };
  if (values.clearance) body.clearance = String(values.clearance);
  return body;
}

/** The file name the node gave in Content-Disposition, else kizuna-NAME.zip. */
export function packageFileName(disposition, name) {
  const m = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  return m ? m[1] : `kizuna-${name}.zip`;
}

/** Whether the signed-in identity may see the panel (the node decides for real). */
export function mayMakePackages(whoami) {
  return whoami?.role === 'node-operator';
}

/**
 * Wires the panel: fills the organization and clearance choices from the profile, and on submit
 * asks the node and hands the zip to the browser as a download.
 */
export function setupPackagePanel(panel, { whoami, profile, t, post }) {
  panel.hidden = !mayMakePackages(whoami) || !profile;
  if (panel.hidden) return;
  const form = panel.querySelector('form');
  const status = panel.querySelector('.package-status');
  const org = form.elements.organization;
  const clearance = form.elements.clearance;
  org.replaceChildren(...(profile.organizations ?? []).map((o) => new Option(o.id, o.id, false, o.id === whoami.organization)));
  clearance.replaceChildren(new Option('—', ''), ...(profile.classifications ?? []).map((c) => new Option(c, c)));
  if (!form.elements.host.value) form.elements.host.value = location.hostname;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = packageRequest({
      name: form.elements.name.value,
      organization: org.value,
      clearance: clearance.value,
      host: form.elements.host.value,
      itak: form.elements.itak.checked,
    });
    status.textContent = '';
    const res = await post(body);
    if (!res.ok) {
      let reason = res.statusText;
      try { reason = (await res.json()).error ?? reason; } catch { /* not JSON */ }
      status.textContent = t('package.failed', { error: reason });
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = packageFileName(res.headers.get('Content-Disposition'), body.name);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = t('package.made', { name: body.name });
  });
}
