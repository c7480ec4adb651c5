import * as cheerio from 'cheerio';

export default function probe() {
  const $ = cheerio.load('<html><head><title>T</title></head><body><ul id="l"><li class="a">one</li><li class="b" data-n="2">two</li></ul><p>Hi <b>there</b></p></body></html>');
  $('ul').append('<li class="c">three</li>');
  $('li.a').addClass('first').attr('title', 'x');
  return {
    title: $('title').text(),
    items: $('li').map((_i, el) => $(el).text()).get(),
    data: $('li.b').data(),
    attrs: $('li.a').attr(),
    p: $('p').html(),
    count: $('li').length,
    extracted: $.extract({ items: ['li'], title: 'title' }),
    html: $('#l').toString(),
  };
}
