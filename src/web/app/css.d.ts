/** Vite imports CSS for its side effect (the bundled stylesheet). */
declare module '*.css';
