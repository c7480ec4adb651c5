import FormData from 'form-data';

export default function probe() {
  const form = new FormData();
  form.append('name', 'nimbus');
  form.append('n', '42');
  // Node's build is a multipart stream with helpers of its own; a browser build is the runtime's FormData
  return {
    boundary: typeof form.getBoundary === 'function' ? form.getBoundary().length : null,
    headers: typeof form.getHeaders === 'function' ? Object.keys(form.getHeaders()) : null,
    length: typeof form.getLengthSync === 'function' ? form.getLengthSync() : null,
  };
}
