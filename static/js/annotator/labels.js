// The names the server gives kinds and colours (annotations.models: Kind, Colour), read
// from the JSON the reader page carries ({% annotation_labels %}), so they are written once.

const source = document.getElementById("pizhu-labels");
const labels = source ? JSON.parse(source.textContent) : { colours: [], kinds: {} };

export const COLOURS = labels.colours; // [[value, label], ...] in the palette's order
export const KIND_NAMES = labels.kinds; // value → label
