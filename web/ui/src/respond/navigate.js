// Links that open the route to a job in the phone's map app. Liandong's
// coordinates are WGS84 (GPS); Chinese map apps draw GCJ-02, which is
// offset by a few hundred metres. Each link says which datum it sends:
// where an app takes a coordinate-system parameter we pass wgs84 and let
// the app convert; where it does not (Tencent) the point may land off by
// that offset, and the name travels with it. We ship no conversion of our
// own: it could not be tested against the apps here.
//
// Parameter names are those of the apps' public URI documentation:
//  - Amap/高德 "URI API", route planning (lbs.amap.com/api/uri-api/guide/travel/route):
//    to=lng,lat,name; mode=car; coordinate=wgs84 (else gaode, GCJ-02);
//    callnative=1 opens the app when installed, else the mobile web page.
//  - Baidu/百度 "Android/iOS URI", direction (lbsyun.baidu.com, 调起百度地图 URI):
//    destination=latlng:lat,lng|name:...; mode=driving; coord_type=wgs84
//    (Baidu's route services list bd09ll, bd09mc, gcj02 and wgs84).
//  - Tencent/腾讯 "URI", routeplan (lbs.qq.com, 地图 URI 路线规划):
//    type=drive; to=name; tocoord=lat,lng (GCJ-02, no datum parameter);
//    referer names the calling application.
//  - geo: URI (RFC 5870): geo:lat,lng (WGS84 by definition) with Android's
//    ?q=lat,lng(label) to show a labelled pin.

const fixed = (x) => Number(x).toFixed(6);

// routeLinks returns [{app, href}] for a place {lat, lng} and its name.
export function routeLinks(lat, lng, name) {
  const la = fixed(lat);
  const ln = fixed(lng);
  const label = String(name || '').replace(/[|,()]/g, ' ').trim();
  const enc = encodeURIComponent;
  return [
    { app: 'amap', href: `https://uri.amap.com/navigation?to=${ln},${la},${enc(label)}&mode=car&coordinate=wgs84&callnative=1` },
    { app: 'baidu', href: `baidumap://map/direction?destination=${enc(`latlng:${la},${ln}|name:${label}`)}&coord_type=wgs84&mode=driving` },
    { app: 'tencent', href: `https://apis.map.qq.com/uri/v1/routeplan?type=drive&to=${enc(label)}&tocoord=${la},${ln}&referer=liandong` },
    { app: 'geo', href: `geo:${la},${ln}?q=${la},${ln}(${enc(label)})` },
  ];
}
