// Theme tokens for AuthGate's UI. Tailwind v4 reads this file through
// `@config` in assets/src/app.css; the class sources (`@source`) are listed
// there too, so there is no `content` key here.

/** @type {import('tailwindcss').Config} */
module.exports = {
  // Dark mode follows the operating system setting (prefers-color-scheme).
  darkMode: 'media',
  theme: {
    extend: {
      colors: {
        // The brand colour: an indigo scale. Use brand-600 for primary
        // actions on light backgrounds and brand-400 on dark ones.
        brand: {
          50: '#eef2ff',
          100: '#e0e7ff',
          200: '#c7d2fe',
          300: '#a5b4fc',
          400: '#818cf8',
          500: '#6366f1',
          600: '#4f46e5',
          700: '#4338ca',
          800: '#3730a3',
          900: '#312e81',
          950: '#1e1b4b',
        },
      },
      fontFamily: {
        // System font stacks: no web fonts to download.
        sans: [
          'system-ui',
          '-apple-system',
          '"Segoe UI"',
          'Roboto',
          '"Helvetica Neue"',
          '"Noto Sans"',
          '"Liberation Sans"',
          'Arial',
          'sans-serif',
          '"Apple Color Emoji"',
          '"Segoe UI Emoji"',
          '"Noto Color Emoji"',
        ],
        mono: [
          'ui-monospace',
          'SFMono-Regular',
          '"SF Mono"',
          'Menlo',
          'Consolas',
          '"Liberation Mono"',
          '"DejaVu Sans Mono"',
          'monospace',
        ],
      },
    },
  },
};
